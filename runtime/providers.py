"""The providers the settings name: who takes cards, who takes PayPal, who tracks parcels."""

from __future__ import annotations

from datetime import timedelta

from adapters.carriers.easypost import EasyPostTracking
from adapters.payments import PaymentGateway
from adapters.payments.paypal import PayPalGateway
from adapters.payments.routing import PaymentRouter
from adapters.payments.sandbox import SandboxPaymentGateway
from adapters.payments.stripe import StripePaymentGateway
from runtime.settings import Settings
from runtime.tokens import Links


def customer_links(settings: Settings) -> Links:
    """The links customers follow: the order page in e-mails, the way back from payment pages."""
    return Links(
        settings.public_base_url,
        settings.order_token_secret.get_secret_value(),
        link_lifetime=timedelta(days=settings.link_token_lifetime_days),
        return_lifetime=timedelta(hours=settings.return_link_lifetime_hours),
    )


def paypal_gateway(settings: Settings) -> PayPalGateway | None:
    """PayPal, when it takes PayPal payments (`ORDERFLOW_WALLET_GATEWAY=paypal`)."""
    if settings.wallet_gateway != "paypal":
        return None
    assert settings.paypal_client_id and settings.paypal_client_secret  # the settings refuse less
    return PayPalGateway(
        settings.paypal_client_id,
        settings.paypal_client_secret.get_secret_value(),
        customer_links(settings).return_page,
        base_url=settings.paypal_api_base,
        timeout=settings.provider_timeout_seconds,
    )


def payment_gateway(settings: Settings) -> PaymentGateway:
    """Cards through the sandbox or Stripe (`ORDERFLOW_PAYMENT_GATEWAY`), PayPal through the
    sandbox or PayPal (`ORDERFLOW_WALLET_GATEWAY`): one gateway when both are the sandbox."""
    timeout = settings.provider_timeout_seconds
    cards: PaymentGateway | None = None
    if settings.payment_gateway == "stripe":
        assert settings.stripe_api_key is not None  # the settings refuse Stripe without it
        cards = StripePaymentGateway(
            settings.stripe_api_key.get_secret_value(),
            customer_links(settings).return_page,
            timeout=timeout,
            base_url=settings.stripe_api_base,
        )
    wallets: PaymentGateway | None = paypal_gateway(settings)
    if cards is None or wallets is None:
        sandbox = SandboxPaymentGateway(
            settings.payment_provider_url,
            settings.payment_provider_api_key.get_secret_value(),
            timeout=timeout,
        )
        cards, wallets = cards or sandbox, wallets or sandbox
    return cards if wallets is cards else PaymentRouter(cards, wallets)


def tracking_service(settings: Settings) -> EasyPostTracking | None:
    """EasyPost, when it tracks parcels (`ORDERFLOW_TRACKING_SERVICE=easypost`); otherwise
    the carrier that sold the label answers for its parcels."""
    if settings.tracking_service != "easypost":
        return None
    assert settings.easypost_api_key is not None  # the settings refuse EasyPost without it
    return EasyPostTracking(
        settings.easypost_api_key.get_secret_value(),
        base_url=settings.easypost_api_base,
        timeout=settings.provider_timeout_seconds,
    )
