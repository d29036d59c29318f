"""The error catalogue: every code, HTTP status and detail the API can answer with.

Nothing else in the code base defines a code, a status or a detail. Handlers raise
``ApiError(CATALOGUE_ENTRY)``; one renderer turns it into JSON:API error objects.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CatalogueEntry", "CATALOGUE", "by_code"]


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    status: int
    detail: str


INVALID_ACCESS_TOKEN = CatalogueEntry("001", 401, "Invalid access token.")
MISSING_ACCESS_TOKEN = CatalogueEntry("002", 403, "Missing access token.")
AUTHENTICATION_FAILED = CatalogueEntry("003", 401, "Failed to authenticate user.")
REFRESH_FAILED = CatalogueEntry("004", 401, "Failed to refresh token.")
TOO_MANY_LOGIN_ATTEMPTS = CatalogueEntry(
    "4401",
    429,
    "Too many log in attempts from your address. Please wait {minutes} minutes before trying again.",
)
CUSTOMER_ALREADY_EXISTS = CatalogueEntry("400", 422, "Customer with this email already exists.")
CUSTOMER_NOT_FOUND = CatalogueEntry("402", 404, "Customer not found.")
ADDRESS_NOT_FOUND = CatalogueEntry("404", 404, "Address was not found.")
CUSTOMER_REFERENCE_MISSING = CatalogueEntry("405", 400, "Customer reference is missing.")
PASSWORDS_DO_NOT_MATCH = CatalogueEntry(
    "406", 422, "Value in field {field} should be identical to value in the confirmPassword field."
)
PASSWORD_CHANGE_FAILED = CatalogueEntry("407", 400, "Failed to change password.")
INVALID_PASSWORD = CatalogueEntry("408", 400, "Invalid password")
ADDRESS_SAVE_FAILED = CatalogueEntry("409", 400, "Failed to save customer address.")
CUSTOMER_SAVE_FAILED = CatalogueEntry("410", 400, "Failed to save customer.")
UNAUTHORIZED_REQUEST = CatalogueEntry("411", 403, "Unauthorized request.")
ADDRESS_ID_MISSING = CatalogueEntry("412", 400, "Address UUID is missing.")
INVALID_GENDER = CatalogueEntry(
    "414", 400, "The provided gender is invalid. Possible options are: Male, Female"
)
RESTORE_KEY_INVALID = CatalogueEntry("415", 422, "Restore password key is not valid.")
TERMS_NOT_ACCEPTED = CatalogueEntry("422", 422, "Terms of service were not accepted.")
CONFIRMATION_CODE_INVALID = CatalogueEntry(
    "423", 422, "This email confirmation code is invalid or has been already used."
)
VALIDATION_FAILED = CatalogueEntry("901", 422, "{field} => {message}")
NOT_FOUND = CatalogueEntry("007", 404, "Not found.")
METHOD_NOT_ALLOWED = CatalogueEntry("008", 405, "Method not allowed.")
UNSUPPORTED_ACCEPT = CatalogueEntry("010", 406, "Unsupported Accept format used.")
INVALID_QUERY_PARAMETER = CatalogueEntry("011", 400, "Invalid query parameter.")
UNSUPPORTED_MEDIA_TYPE = CatalogueEntry("012", 415, "Unsupported media type.")
INVALID_DOCUMENT = CatalogueEntry("013", 400, "Post data is invalid.")
INVALID_TYPE = CatalogueEntry("014", 409, "Invalid type.")
RESOURCE_ID_MISSING = CatalogueEntry("015", 400, "Resource id is not specified.")
RESOURCE_ID_MISMATCH = CatalogueEntry("016", 409, "Resource id does not match the URL.")
BODY_TOO_LARGE = CatalogueEntry("017", 413, "Request body is too large.")
SERVICE_UNAVAILABLE = CatalogueEntry("018", 503, "Service temporarily unavailable.")
INTERNAL_ERROR = CatalogueEntry("019", 500, "Internal server error.")
METRICS_FORBIDDEN = CatalogueEntry(
    "020", 403, "Metrics are served to loopback clients and to bearers of the metrics token only."
)

# Back-office (1000-1099): the customer attributes both faces write.
PHONE_ALREADY_EXISTS = CatalogueEntry("1010", 422, "Customer with this phone number already exists.")
LOYALTY_CARD_ALREADY_EXISTS = CatalogueEntry(
    "1011", 422, "Customer with this loyalty card number already exists."
)
# Back-office (BO §5): operators, permissions, integration clients.
INSUFFICIENT_PERMISSIONS = CatalogueEntry("1000", 403, "Insufficient permissions.")
OPERATOR_NOT_FOUND = CatalogueEntry("1002", 404, "Operator not found.")
OPERATOR_ALREADY_EXISTS = CatalogueEntry("1003", 422, "Operator with this email already exists.")
OWN_OPERATOR_RECORD = CatalogueEntry(
    "1004", 422, "Operators cannot deactivate, delete, demote or reset themselves."
)
LAST_OPERATOR_ADMINISTRATOR = CatalogueEntry(
    "1005", 422, "At least one active administrator with operators:write must remain."
)
ONE_TIME_CODE_REQUIRED = CatalogueEntry("1006", 401, "Invalid or missing one-time code.")
MFA_ALREADY_ACTIVE = CatalogueEntry("1007", 422, "Multi-factor authentication is already active.")
ONE_TIME_CODE_INVALID = CatalogueEntry("1008", 422, "This one-time code is invalid.")
INTEGRATION_CLIENT_NOT_FOUND = CatalogueEntry("1009", 404, "Integration client not found.")
# Back-office and customer media (1000-1099): avatars and push tokens.
AVATAR_NOT_AN_IMAGE = CatalogueEntry("1040", 422, "The file is not a JPEG, PNG or WebP image.")
AVATAR_TOO_LARGE = CatalogueEntry("1041", 422, "The image is too large.")
AVATAR_NOT_FOUND = CatalogueEntry("1042", 404, "Avatar not found.")
PUSH_TOKEN_NOT_FOUND = CatalogueEntry("1043", 404, "Push token not found.")
CUSTOMER_OF_ANOTHER_POS = CatalogueEntry("1001", 403, "Customer belongs to another point of sale.")
CUSTOMER_ANONYMIZED = CatalogueEntry("1012", 422, "The customer is anonymized.")
# Back-office (BO §4.2): activation by SMS, credential changes.
NOT_AWAITING_ACTIVATION = CatalogueEntry("1013", 422, "Customer is not awaiting activation.")
NO_PHONE_NUMBER = CatalogueEntry("1014", 422, "Customer has no phone number.")
ACTIVATION_CODE_INVALID = CatalogueEntry("1015", 422, "This activation code is invalid or has expired.")
CREDENTIAL_CODE_INVALID = CatalogueEntry("1016", 422, "This confirmation code is invalid or has expired.")
TOO_MANY_CODE_ATTEMPTS = CatalogueEntry(
    "1017", 429, "Too many attempts. Please wait {minutes} minutes before trying again."
)
# Back-office (BO §4.3): levels, points of sale, points transfers.
LEVEL_NOT_FOUND = CatalogueEntry("1020", 404, "Level not found.")
LEVEL_ALREADY_EXISTS = CatalogueEntry(
    "1021", 422, "A level with this name or condition value already exists."
)
LEVEL_MANUALLY_ASSIGNED = CatalogueEntry("1022", 422, "Level is manually assigned to customers.")
NOT_MANUALLY_ASSIGNED = CatalogueEntry("1023", 422, "Customer is not assigned to a level manually.")
POS_NOT_FOUND = CatalogueEntry("1024", 404, "Point of sale not found.")
POS_ALREADY_EXISTS = CatalogueEntry("1025", 422, "Point of sale with this identifier already exists.")
POS_HAS_SELLERS = CatalogueEntry("1026", 422, "Point of sale has sellers.")
NOT_ENOUGH_POINTS = CatalogueEntry("1027", 422, "Not enough points.")
POINTS_TRANSFER_NOT_FOUND = CatalogueEntry("1028", 404, "Points transfer not found.")
POINTS_TRANSFER_NOT_CANCELABLE = CatalogueEntry("1029", 422, "This points transfer cannot be canceled.")
# Back-office bulk import (BO §4.7).
IMPORT_FILE_INVALID = CatalogueEntry("1030", 400, "Import file is invalid: {reason}.")
IMPORT_NOT_FOUND = CatalogueEntry("1031", 404, "Import not found.")

# Commerce and B2B (1100-1199): stores.
STORE_NOT_VALID = CatalogueEntry("1100", 400, "Store is not valid.")
TOKEN_NOT_FOR_STORE = CatalogueEntry("1101", 401, "Access token is not valid for this store.")

# Commerce and B2B: companies and company users (CB §4).
COMPANY_TOKEN_REQUIRED = CatalogueEntry("1102", 403, "A company user access token is required.")
COMPANY_ROLE_REFUSED = CatalogueEntry("1103", 403, "Your company role does not allow this action.")
COMPANY_USER_NOT_FOUND = CatalogueEntry("1104", 404, "Company user not found.")
COMPANY_USER_NOT_ACTIVE = CatalogueEntry("1105", 403, "Company user is not active.")
COMPANY_NOT_FOUND = CatalogueEntry("1106", 404, "Company not found.")
LAST_COMPANY_ADMIN = CatalogueEntry("1107", 422, "A company needs at least one active administrator.")
ALREADY_A_COMPANY_USER = CatalogueEntry("1108", 422, "This person is already a user of the company.")
COMPANY_NOT_ACTIVE = CatalogueEntry("1109", 422, "Company is not active.")

# Commerce and B2B: orders and payment instruments (CB §6, §7).
COMPANY_NOT_IN_STORE = CatalogueEntry("1110", 422, "Company not found in this store.")
ORDER_NOT_FOUND = CatalogueEntry("1130", 404, "Order not found.")
INGEST_CUSTOMER_NOT_FOUND = CatalogueEntry("1131", 422, "Customer not found in this store.")
RECORD_OF_ANOTHER_CUSTOMER = CatalogueEntry("1132", 409, "The record belongs to another customer.")
CURRENCY_MISMATCH = CatalogueEntry("1133", 422, "Currency does not match the store's currency.")
NOT_A_COMPANY_USER = CatalogueEntry("1134", 422, "The customer is not a user of this company.")
CARD_DATA_REFUSED = CatalogueEntry("1140", 422, "Card numbers and security codes must not be sent.")
PAYMENT_INSTRUMENT_NOT_FOUND = CatalogueEntry("1141", 404, "Payment instrument not found.")

# Access requests and invitation symbols (CB §5).
ACCESS_REQUEST_NOT_FOUND = CatalogueEntry("1120", 404, "Access request not found.")
ACCESS_REQUEST_STATE_CONFLICT = CatalogueEntry(
    "1121", 409, "The access request does not allow this in its current state."
)
ACCESS_REQUEST_KEY_INVALID = CatalogueEntry(
    "1122", 422, "This access request confirmation key is invalid or has been already used."
)
REQUEST_CODE_INVALID = CatalogueEntry("1123", 422, "Request code is not valid.")
ACCESS_REQUEST_NOT_APPROVED = CatalogueEntry("1124", 401, "Your access request has not been approved yet.")
TOO_MANY_ACCESS_REQUESTS = CatalogueEntry(
    "1125",
    429,
    "Too many access requests from your address. Please wait {minutes} minutes before trying again.",
)
INVITATION_SYMBOL_TAKEN = CatalogueEntry("1126", 422, "This invitation symbol is already in use.")
INVITATION_SYMBOL_NOT_FOUND = CatalogueEntry("1127", 404, "Invitation symbol not found.")

CATALOGUE: tuple[CatalogueEntry, ...] = tuple(
    value for value in globals().values() if isinstance(value, CatalogueEntry)
)

_BY_CODE = {entry.code: entry for entry in CATALOGUE}


def by_code(code: str) -> CatalogueEntry:
    return _BY_CODE[code]


# OAuth 2.0 errors of /token and /token/revoke (RFC 6749 §5.2, RFC 7009 §2.2.1). They are not
# JSON:API errors: the RFCs fix their names and shape. Status and name come from authlib's RFC types.
@dataclass(frozen=True)
class OAuthCatalogueEntry:
    error: str
    status: int
    description: str
