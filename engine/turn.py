"""One turn: feed an input to the waiting state, then run states until the next wait.

A Turn collects what to say, pushes and the next wait; the Engine wraps it
with the lock, the store and routing. This module decides what an input
means to a menu, an input or a confirm state (and to silence on the IVR);
``engine.turn_core`` moves the session.
"""

from __future__ import annotations

from engine.flow import Node
from engine.render import visible_options
from engine.spec import AgentConfig
from engine.turn_core import TurnCore
from engine.validate import validate_input


class Turn(TurnCore):
    async def feed(self, raw: str) -> None:
        """Apply one input to the waiting state."""
        node = self.node
        text = raw.strip()
        if node.kind == "menu":
            shown = node.by_channel.get(self.session.channel, ()) if node.static else visible_options(
                node, self.session.channel, self.ctx())
            for opt in shown:
                if opt.key == text:
                    await self.goto(opt.goto)
                    return
            await self.invalid(node, "invalid_choice")
        elif node.kind == "input":
            value = validate_input(node, text)
            if value is None:
                await self.invalid(node, "invalid_input")
                return
            self.session.vars[node.spec.var] = value
            self.changed()
            await self.goto(node.spec.goto)
        else:
            await self.confirm(node, text)

    async def confirm(self, node: Node, text: str) -> None:
        cfg = self.flow.spec.confirm
        token = text.upper()
        if self.session.pending and self.now > self.session.pending:
            self.session.pending = 0.0
            self.say_msg("expired")
            await self.cancel(node)
        elif token in {t.upper() for t in cfg.yes}:
            self.session.pending = 0.0
            self.emit("confirmed")
            await self.goto(node.spec.goto)
        elif token in {t.upper() for t in cfg.no}:
            self.session.pending = 0.0
            self.say_msg("cancelled")
            await self.cancel(node)
        else:
            await self.invalid(node, "invalid_choice")

    async def cancel(self, node: Node) -> None:
        if node.spec.cancel:
            await self.goto(node.spec.cancel)
        else:
            self.end()

    async def invalid(self, node: Node, default_key: str) -> None:
        s = self.session
        n = s.counters.get("nomatch", 0) + 1
        s.counters["nomatch"] = n
        self.emit("invalid", count=n)
        retries = getattr(node.spec, "retries", None) or self.flow.spec.retries
        if n >= retries:
            await self.give_up(node)
            return
        if node.error is not None:
            static = node.error.get(s.channel, s.locale, self.flow.locale).static
            self.say(node.error.render(s.channel, s.locale, self.flow.locale, self.ctx()),
                     f"{self.flow.id}/{node.name}/error" if static else None)
        else:
            self.say_msg(default_key)
        counters = dict(s.counters)
        self.prompt(node)
        s.counters.update(counters)

    async def noinput(self) -> None:
        s = self.session
        n = s.counters.get("noinput", 0) + 1
        s.counters["noinput"] = n
        self.emit("noinput", count=n)
        if n >= 3:
            await self.give_up(self.node)
            return
        self.say_msg("no_input")
        counters = dict(s.counters)
        self.prompt(self.node)
        s.counters.update(counters)

    async def give_up(self, node: Node) -> None:
        fallback = getattr(node.spec, "fallback", None)
        if node.kind == "confirm":
            self.say_msg("cancelled")
            await self.cancel(node)
        elif fallback:
            await self.goto(fallback)
        elif self.session.channel == "ivr" and self.agent() is not None:
            self.to_agent()
        else:
            self.say_msg("too_many_tries")
            self.end()

    def agent(self) -> AgentConfig | None:
        """This flow's agent queue, or the calling flow's when a subflow has none."""
        if self.flow.spec.agent is not None or not self.session.stack:
            return self.flow.spec.agent
        root = self.engine.registry.get(*self.session.stack[0][:2])
        return root.spec.agent if root is not None else None

    def to_agent(self) -> None:
        agent = self.agent()
        if agent is None:
            self.say_msg("transfer_elsewhere")
            self.end()
            return
        if agent.hours and not self.engine.within_hours(agent.hours, self.now):
            self.say_msg("agent_closed", hours=agent.hours)
            self.end()
            return
        self.do_transfer(agent.target, None)
