"""The customer's side of the procedure, played for the demo, the tests and the benchmarks.

In production the customer opens GeoTrust's access email and cancels in their own portal; here
a browser session of its own (the customer is not us) does it through the catalogue's customer
actions, ``mail.access_link`` and ``portal.cancel_certificate``, which flows may never call.
It lives beside the demo, not in ``sandbox/``: it drives our page objects, and the vendor's
replica knows nothing of us.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from runner.actions import ActionContext, ActionSpec, load_catalogue


@dataclass(frozen=True)
class Cancellation:
    """What the customer saw: the mail's subject and portal link, then the certificate's state."""

    subject: str
    link: str
    domain: str
    status: str


def cancel_certificate(session: ActionContext, email: str,
                       catalogue: Mapping[str, ActionSpec] | None = None) -> Cancellation:
    """Open the access email sent to ``email``, follow its link, press Cancel Certificate."""
    actions = catalogue if catalogue is not None else load_catalogue()
    link = actions["mail.access_link"].func(session, email=email)
    done = actions["portal.cancel_certificate"].func(session, link=link.url)
    return Cancellation(subject=link.subject, link=link.url, domain=done.domain,
                        status=done.status)
