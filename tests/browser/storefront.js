// What a headless storefront does with fetch() from its own origin: the API's base URL, the flow
// ("account" or "register-only") and an e-mail come from the page's query string. The outcome, or
// the error that stopped it, is written as JSON into #result with data-done set.
const query = new URLSearchParams(location.search);
const api = query.get("api");
const email = query.get("email");
const password = "Browser-Walk-42";
const jsonApi = { "Content-Type": "application/vnd.api+json", Accept: "application/vnd.api+json" };

function report(outcome) {
  const element = document.getElementById("result");
  element.textContent = JSON.stringify(outcome);
  element.dataset.done = "true";
}

async function call(method, path, body, token) {
  const headers = { ...jsonApi, ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(api + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, document: text ? JSON.parse(text) : null };
}

function register(salutation, firstName, lastName) {
  const attributes = { salutation, firstName, lastName, email, password, confirmPassword: password, acceptedTerms: true };
  return call("POST", "/customers", { data: { type: "customers", attributes } });
}

async function account() {
  const registered = await register("Ms", "Erika", "Muster");
  const reference = registered.document.data.id;
  const login = await call("POST", "/access-tokens", {
    data: { type: "access-tokens", attributes: { username: email, password } },
  });
  const token = login.document.data.attributes.accessToken;
  const address = await call("POST", `/customers/${reference}/addresses`, {
    data: {
      type: "addresses",
      attributes: {
        salutation: "Ms", firstName: "Erika", lastName: "Muster", address1: "Unter den Linden 1",
        zipCode: "10117", city: "Berlin", iso2Code: "DE",
      },
    },
  }, token);
  const profile = await call("GET", `/customers/${reference}?include=addresses`, null, token);
  const patched = await call("PATCH", `/customers/${reference}`, {
    data: { type: "customers", id: reference, attributes: { lastName: "Mustermann" } },
  }, token);
  const logout = await call("DELETE", "/refresh-tokens/mine", null, token);
  const afterLogout = await call("GET", `/customers/${reference}`, null, token);
  return {
    registered: { status: registered.status, reference, location: registered.headers.get("Location") },
    login: { status: login.status, tokenType: login.document.data.attributes.tokenType },
    address: { status: address.status, city: address.document.data.attributes.city },
    profile: {
      status: profile.status,
      email: profile.document.data.attributes.email,
      addresses: profile.document.data.relationships.addresses.data.length,
      includedCities: profile.document.included.map((item) => item.attributes.city),
      requestId: profile.headers.get("X-Request-Id"),
    },
    patched: { status: patched.status, lastName: patched.document.data.attributes.lastName },
    logout: { status: logout.status },
    afterLogout: {
      status: afterLogout.status,
      code: afterLogout.document.errors[0].code,
      wwwAuthenticate: afterLogout.headers.get("WWW-Authenticate"),
    },
  };
}

async function registerOnly() {
  const registered = await register("Mr", "Eve", "Stranger");
  return { registered: { status: registered.status } };
}

const flows = { account, "register-only": registerOnly };
flows[query.get("flow")]()
  .then((outcome) => report({ outcome }))
  .catch((error) => report({ error: `${error.name}: ${error.message}` }));
