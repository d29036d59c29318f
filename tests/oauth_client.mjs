// A standard OAuth client against the service: oauth4webapi (RFC 8414 discovery, the password grant
// through its generic grant request, refresh, RFC 7009 revocation, RFC 9068 validation against the
// JWKS). Run by tests/test_oauth_clients.py: node tests/oauth_client.mjs BASE_URL USERNAME PASSWORD.
// Prints one JSON object of what the client saw; any refusal by the library exits non-zero.
import * as oauth from "oauth4webapi";

const [base, username, password, audience] = process.argv.slice(2);
const issuer = new URL(base);
// The test server speaks plain HTTP on loopback.
const insecure = { [oauth.allowInsecureRequests]: true };
const client = { client_id: "node-storefront" };
const clientAuth = oauth.None();

const discovered = await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure });
const as = await oauth.processDiscoveryResponse(issuer, discovered);

const granted = await oauth.processGenericTokenEndpointResponse(
  as,
  client,
  await oauth.genericTokenEndpointRequest(as, client, clientAuth, "password", new URLSearchParams({ username, password }), insecure),
);

async function validated(accessToken) {
  const request = new Request(new URL("/customers", base), { headers: { authorization: `Bearer ${accessToken}` } });
  return oauth.validateJwtAccessToken(as, request, audience, insecure);
}

const claims = await validated(granted.access_token);
const refreshed = await oauth.processRefreshTokenResponse(
  as,
  client,
  await oauth.refreshTokenGrantRequest(as, client, clientAuth, granted.refresh_token, insecure),
);
const refreshedClaims = await validated(refreshed.access_token);
const profile = await fetch(new URL(`/customers/${claims.sub}`, base), {
  headers: { authorization: `Bearer ${refreshed.access_token}` },
});
await oauth.processRevocationResponse(
  await oauth.revocationRequest(as, client, clientAuth, refreshed.refresh_token, insecure),
);
const afterRevocation = await fetch(new URL(`/customers/${claims.sub}`, base), {
  headers: { authorization: `Bearer ${refreshed.access_token}` },
});

console.log(
  JSON.stringify({
    issuer: as.issuer,
    tokenEndpoint: as.token_endpoint,
    claims,
    refreshedClaims,
    rotated: refreshed.refresh_token !== granted.refresh_token,
    profileStatus: profile.status,
    profileEmail: (await profile.json()).data?.attributes?.email,
    statusAfterRevocation: afterRevocation.status,
  }),
);
