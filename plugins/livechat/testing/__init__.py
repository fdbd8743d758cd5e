"""Test support for the LiveChat plugin: a local fake of the LiveChat Platform API v3.6."""

from plugins.livechat.testing.fake_livechat import FakeLiveChat, NotDelivered, RecordedRequest

__all__ = ["FakeLiveChat", "NotDelivered", "RecordedRequest"]
