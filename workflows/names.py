"""Temporal names that the worker, the API and the relay share."""

from temporalio.common import SearchAttributeKey

TASK_QUEUE = "orders"

ORDER_STATUS = SearchAttributeKey.for_keyword("OrderStatus")
MERCHANT = SearchAttributeKey.for_keyword("Merchant")
PAYMENT_METHOD = SearchAttributeKey.for_keyword("PaymentMethod")
CARRIER = SearchAttributeKey.for_keyword("Carrier")
RETURN_STATUS = SearchAttributeKey.for_keyword("ReturnStatus")
SUBSCRIPTION_STATUS = SearchAttributeKey.for_keyword("SubscriptionStatus")
ORDER_REFERENCE = SearchAttributeKey.for_keyword("OrderReference")  # the shop's order number
SEARCH_ATTRIBUTES = (
    ORDER_STATUS,
    MERCHANT,
    PAYMENT_METHOD,
    CARRIER,
    RETURN_STATUS,
    SUBSCRIPTION_STATUS,
    ORDER_REFERENCE,
)

SIGNAL_CARRIER_EVENT = "carrier_event"
SIGNAL_PAYMENT_EVENT = "payment_event"
QUERY_ORDER = "order"
UPDATE_CHANGE_SHIPPING_ADDRESS = "change_shipping_address"
UPDATE_EDIT_LINES = "edit_lines"
UPDATE_ANSWER_EDIT = "answer_edit"
UPDATE_CANCEL_LINES = "cancel_lines"
QUERY_PREVIEW_EDIT = "preview_edit"
UPDATE_CANCEL = "cancel"
UPDATE_RESHIP = "reship"
UPDATE_PAYMENT_STEP = "payment_step"
UPDATE_RETRY_PAYMENT = "retry_payment"
UPDATE_REVIEW_FRAUD = "review_fraud"
UPDATE_REJECT_CARD = "reject_card_ownership"
UPDATE_REFUND = "refund"
UPDATE_DECIDE_CHARGEBACK = "decide_chargeback"
UPDATE_REQUEST_RETURN = "request_return"
SIGNAL_RETURN_REFUND = "return_refund"  # a return's inspected goods, to its order
SIGNAL_CARD_EVENT = "card_event"  # the card issuer's word on a digital card
QUERY_DIGITAL_CARDS = "digital_cards"
UPDATE_VERIFY_PURCHASE = "verify_digital_purchase"
UPDATE_REPORT_FAULTY_CARD = "report_faulty_card"
UPDATE_RESOLVE_FAULTY_CARD = "resolve_faulty_card"

QUERY_RETURN = "return"
UPDATE_REVIEW_RETURN = "review_return"
UPDATE_RETURN_SHIPMENT = "give_return_shipment"
UPDATE_RECEIVE_RETURN = "receive_return"
UPDATE_INSPECT_RETURN = "inspect_return"
UPDATE_CHOOSE_EXCHANGE = "choose_exchange"
SIGNAL_RETURN_REFUND_PAID = "return_refund_paid"  # the order's answer, to the return

UPDATE_OPEN_CLAIM = "open_claim"
SIGNAL_CLAIM_REFUND = "claim_refund"  # a claim's refund, to its order
QUERY_CLAIM = "claim"
UPDATE_DECIDE_CLAIM = "decide_claim"
UPDATE_ANSWER_QUESTION = "answer_question"
UPDATE_RECEIVE_CLAIM_PRODUCT = "receive_claim_product"
UPDATE_INSPECT_WARRANTY = "inspect_warranty"
UPDATE_SPARE_PART_WAIT = "record_spare_part_wait"
UPDATE_FINISH_REPAIR = "finish_repair"
UPDATE_ANSWER_QUOTE = "answer_quote"
SIGNAL_CLAIM_REFUND_PAID = "claim_refund_paid"  # the order's answer, to the claim

QUERY_SUBSCRIPTION = "subscription"
UPDATE_CANCEL_SUBSCRIPTION = "cancel_subscription"
UPDATE_SUBSCRIPTION_STARTED = "subscription_started"


def order_workflow_id(order_id: str) -> str:
    return f"order-{order_id}"


def return_workflow_id(rma_id: str) -> str:
    return f"return-{rma_id}"


def claim_workflow_id(claim_id: str) -> str:
    return f"claim-{claim_id}"


def subscription_workflow_id(subscription_id: str) -> str:
    return f"subscription-{subscription_id}"
