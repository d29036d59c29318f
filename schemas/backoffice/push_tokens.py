"""The ``push-tokens`` of a customer as operators list them (BO §4.9): the storefront's resource,
its collection link under ``/backoffice``.

{"data": [{"type": "push-tokens", "id": "0b9c3f0e-6d7e-4c36-9a8e-1f2d3c4b5a69",
           "attributes": {"token": "fcm:APA91bH…", "platform": "android",
                          "createdAt": "2026-12-01T14:35:30.123456+00:00"}}],
 "links": {"self": "https://api.example.com/backoffice/customers/DE--25/push-tokens"}}
"""

from __future__ import annotations

from schemas.push_tokens import PushTokenSchema

__all__ = ["BackofficePushTokenSchema"]


class BackofficePushTokenSchema(PushTokenSchema):
    class Meta(PushTokenSchema.Meta):
        pass

    def collection_url(self) -> str:
        return f"{self.base_url}/backoffice/customers/{self.customer_reference}/push-tokens"
