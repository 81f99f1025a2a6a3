"""What runs outside requests: cron jobs, mail in and out, and the admin endpoints over them."""

from kiln.runtime.admin import runtime_routes
from kiln.runtime.cron import JobRunning, Scheduler
from kiln.runtime.delivery import Delivery
from kiln.runtime.inbound import InboundMail
from kiln.runtime.service import Runtime

__all__ = ["Delivery", "InboundMail", "JobRunning", "Runtime", "Scheduler", "runtime_routes"]
