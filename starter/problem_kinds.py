"""The catalogue of problem kinds the API answers with: each kind's title, status and what
to do about it, and the kind a bare HTTP status stands for."""

# Every kind of problem the API answers with: its title, its status and what to do about it.
KINDS: dict[str, tuple[str, int, str]] = {
    "malformed-request": (
        "Malformed request",
        400,
        "The request could not be read: a webhook body that is not a JSON event, or a list "
        "cursor this API did not give. Sending it again unchanged gets the same answer.",
    ),
    "unauthorized": (
        "Unauthorized",
        401,
        "The credential is missing, unknown or revoked. Storefront calls carry the storefront "
        "key, operators their own `oper_…` credential, customers the token their order or "
        "subscription was placed with; each as `Authorization: Bearer …`.",
    ),
    "invalid-signature": (
        "Invalid webhook signature",
        401,
        "The Standard Webhooks signature (`webhook-id`, `webhook-timestamp`, "
        "`webhook-signature`) does not match the raw body under any of the provider's "
        "signing secrets, or its timestamp is more than 5 minutes away.",
    ),
    "forbidden": (
        "Forbidden",
        403,
        "The caller is known but may not do this: a credential that is not an operator's on "
        "an operators' endpoint (such as the codec server), or a browser page from an origin "
        "other than the one allowed.",
    ),
    "payment-declined": (
        "Payment declined",
        402,
        "The provider declined the payment; nothing was charged. `detail` carries its code.",
    ),
    "not-found": (
        "Not found",
        404,
        "Nothing with this ID is visible with the credentials given. The answer is the same "
        "whether it does not exist or belongs to someone else.",
    ),
    "method-not-allowed": ("Method not allowed", 405, "This path does not take this method."),
    "policy-refusal": (
        "Refused by the merchant's policy",
        409,
        "The merchant's policy does not allow this now (422 when it never would for this "
        "request). `clause` names the policy clause that decided it, `field` the part of the "
        "request it concerns; nothing was changed.",
    ),
    "conflict": (
        "Conflict",
        409,
        "The request conflicts with what is already recorded, such as a shop order number "
        "another order carries or a return that has ended. Nothing was changed.",
    ),
    "body-too-large": (
        "Body too large",
        413,
        "The body passes the limit for this kind of request; it was not read further.",
    ),
    "unsupported-media-type": (
        "Unsupported file type",
        415,
        "The file's type is not one this request takes (photos as JPEG, PNG or WebP; PDF).",
    ),
    "invalid-request": (
        "Invalid request",
        422,
        "A field is missing or invalid. `field` names the first one, `errors` lists each.",
    ),
    "idempotency-key-reused": (
        "Idempotency key reused",
        422,
        "This `Idempotency-Key` was used before for a different request body. Use a new key "
        "for a new request, the same key only to repeat the same one.",
    ),
    "link-used": (
        "Link already used",
        410,
        "This one-time link was used already. Open the order from the link in your e-mail.",
    ),
    "rate-limited": (
        "Too many requests",
        429,
        "Too many requests of this kind from this caller. Send it again after `Retry-After` "
        "seconds.",
    ),
    "limit-reached": (
        "Limit reached",
        409,
        "This order already holds as many of these as the merchant allows (a setting).",
    ),
    "provider-refused": (
        "Refused by the payment provider",
        502,
        "The policy allowed it, but the payment provider refused the money movement for good; "
        "`detail` carries its reason. Nothing moved and the order goes on as it was; asking "
        "again with the same request hears the same.",
    ),
    "unavailable": (
        "Try again shortly",
        503,
        "A service behind the API did not answer in time. The request may still take effect: "
        "send the same request again (after `Retry-After` seconds) to learn its one outcome.",
    ),
    "internal-error": (
        "Internal error",
        500,
        "The request failed unexpectedly. Nothing was changed unless a later read shows it.",
    ),
}

DEFAULT_KIND = {
    400: "malformed-request",
    401: "unauthorized",
    402: "payment-declined",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    410: "link-used",
    415: "unsupported-media-type",
    422: "invalid-request",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}
