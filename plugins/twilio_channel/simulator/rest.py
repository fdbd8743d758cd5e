"""The simulator's front door: where the Twilio client sends the simulator account's requests.

Messages, content templates and the account are answered by :mod:`.engine`; calls, queues
and recordings by :mod:`.voice`, which builds on the engine. The client itself knows no
simulator: :func:`install` names this front door to it when the plugin is set up for an app.
"""
from __future__ import annotations

from plugins.twilio_channel.client import use_simulator
from plugins.twilio_channel.simulator.engine import simulator_for
from plugins.twilio_channel.simulator.voice import voice_simulator_for
from plugins.twilio_channel.transport import SimulatedAnswer, SimulatedRequest


def install(app) -> None:
    """Make the Twilio client of ``app`` send the simulator account's requests here."""
    def calls(req: SimulatedRequest, rest: str) -> SimulatedAnswer:
        return voice_simulator_for(app).handle(req, rest)

    def handle(req: SimulatedRequest) -> SimulatedAnswer:
        return simulator_for(app).handle(req, calls=calls)

    use_simulator(app, lambda: handle)
