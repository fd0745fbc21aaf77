"""Notifications through Apprise URLs: alert opened/resolved and chosen stage changes."""

from orderbridge.notify.messages import Message, build_messages
from orderbridge.notify.send import NotifyResult, notify

__all__ = ["Message", "NotifyResult", "build_messages", "notify"]
