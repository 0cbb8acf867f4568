"""Every phone flow, by the name stored with each call: its declaration (menus/)
beside the operations and destinations that run it (the blueprints' modules)."""

from collections.abc import Mapping

from ivr import access_steps, deposit_steps, support_steps
from ivr.steps import PhoneFlow
from menus.access_flow import ACCESS
from menus.deposit_flow import DEPOSIT
from menus.support_flow import SUPPORT

FLOWS: Mapping[str, PhoneFlow] = {
    ACCESS.name: PhoneFlow(ACCESS, access_steps.OPERATIONS, verified=access_steps.VERIFIED),
    DEPOSIT.name: PhoneFlow(DEPOSIT, deposit_steps.OPERATIONS, deposit_steps.DESTINATIONS),
    SUPPORT.name: PhoneFlow(SUPPORT, support_steps.OPERATIONS, support_steps.DESTINATIONS),
}
