"""An Asterisk agent transfer with a wait threshold: the application line and what its status says.

With a threshold (the flow's ``agent.max_wait``) the AGI does not hand the
call over blindly: it runs ``Queue(target,,,,SECONDS)`` (queuename, options,
URL, announceoverride, timeout) or ``Dial(DEST,SECONDS)``, and when the
application returns reads ``QUEUESTATUS`` / ``DIALSTATUS`` to tell the engine
how it went. The engine decides what the caller hears; this module only turns
Asterisk's words into the engine's (``engine.types.AGENT_OUTCOMES``).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.types import AgentOutcome

#: ``QUEUESTATUS`` after ``Queue()`` returned. CONTINUE: an agent took the call and the caller
#: went on in the dialplan. WITHDRAW (the caller was taken out of the queue on purpose) is
#: left out, like any value not listed: the AGI reports nothing and hangs up.
QUEUE_OUTCOMES: dict[str, AgentOutcome] = {
    "CONTINUE": "answered",
    "TIMEOUT": "timeout",
    "FULL": "full",
    "JOINEMPTY": "no_agents",
    "LEAVEEMPTY": "no_agents",
    "JOINUNAVAIL": "no_agents",
    "LEAVEUNAVAIL": "no_agents",
}
#: ``DIALSTATUS`` after ``Dial()`` returned (CANCEL, the caller hanging up, arrives as a hang-up).
DIAL_OUTCOMES: dict[str, AgentOutcome] = {
    "ANSWER": "answered",
    "NOANSWER": "timeout",
    "BUSY": "busy",
    "CHANUNAVAIL": "no_agents",
    "CONGESTION": "failed",
}


@dataclass(frozen=True, slots=True)
class AgentApp:
    """One ``EXEC`` that hands the caller over, and the variable that tells how it went."""

    app: str
    args: str
    status: str

    def outcome(self, value: str) -> AgentOutcome | None:
        """The status variable's value in the engine's words; None when it tells nothing we act on."""
        table = QUEUE_OUTCOMES if self.status == "QUEUESTATUS" else DIAL_OUTCOMES
        return table.get(value.strip().upper())


def agent_app(mode: str, dial_template: str, target: str, max_wait: int) -> AgentApp:
    """``queue``: ``Queue(target,,,,max_wait)``; ``dial``: the template's destination with its
    timeout (the second argument) set to ``max_wait``, any options after it kept."""
    if mode == "dial":
        parts = dial_template.replace("{target}", target).split(",")
        parts[1:2] = [str(max_wait)]
        return AgentApp("Dial", ",".join(parts), "DIALSTATUS")
    return AgentApp("Queue", f"{target},,,,{max_wait}", "QUEUESTATUS")
