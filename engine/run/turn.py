"""One turn: what to say, pushes and the next wait, while states run until one waits or ends.

States move only along edges declared in the flow's machine (``engine.flow.machine``);
what each state does is its kind's business (``engine.states``). The turn
offers them the narrow ``engine.flow.model.Turn`` interface and reaches the
world only through its ``TurnContext``.
"""

from __future__ import annotations

from typing import Any, cast

from engine.flow.model import JUMP, CompiledFlow, Node
from engine.flow.spec import AgentConfig
from engine.ports.backend import AuthLevel, CallContext, OperationInfo
from engine.ports.events import MASK, EngineEvent
from engine.run import guard
from engine.run.context import TurnContext, within_hours
from engine.session import Session
from engine.types import Reply, Transfer, Wait

#: Automatic states one input may run before the flow is taken to loop (the linter warns of such loops).
MAX_AUTO_STEPS = 64
#: Silences on the IVR before the caller is given up on.
MAX_NOINPUT = 3


def prompt_id(flow: CompiledFlow, node: Node[Any], channel: str, locale: str) -> str | None:
    """The recording id of a state's own text: its ``audio`` or ``flow/state``; None when it varies."""
    if node.text is None or not node.text.get(channel, locale, flow.locale).static:
        return None
    return node.text.audio or f"{flow.id}/{node.name}"


class Turn:
    def __init__(self, world: TurnContext, session: Session, flow: CompiledFlow, now: float) -> None:
        self.world = world
        self.session = session
        self.flow = flow
        self.now = now
        self.out: list[str] = []
        self.audio: list[str] = []
        #: Every part said so far has a recording: the IVR may play ``audio`` instead of the text.
        self.recorded = True
        self.pushes: list[Reply] = []
        self.wait: Wait | None = None
        self.transfer_to: Transfer | None = None
        self.ended = False
        #: Secret inputs and call results (``var.field`` paths): masked for observers, wiped before the
        #: session is saved.
        self.secrets: list[str] = []
        #: Where the input came from beyond the number, when the gateway knows (an AGI peer): the
        #: "attempt source" whose failed password checks are counted.
        self.source = ""
        #: The input being applied, as observers may see it (secret inputs masked).
        self.shown_input = ""
        self._ctx: dict[str, Any] | None = None

    # -- context ---------------------------------------------------------------
    def ctx(self) -> dict[str, Any]:
        """Template variables; built once and rebuilt only after a variable changed."""
        if self._ctx is not None:
            return self._ctx
        s = self.session
        c = dict(s.vars)
        c["msisdn"] = s.msisdn
        c["channel"] = s.channel
        c["locale"] = s.locale
        c["flow"] = s.flow
        # The engine's record, never a variable: a ``set: {authenticated: true}`` cannot fake it.
        c["authenticated"] = s.auth_level != "none"
        c["auth_level"] = s.auth_level
        self._ctx = c
        return c

    def changed(self) -> None:
        """Variables or the locale changed: the next ``ctx()`` rebuilds the template context."""
        self._ctx = None

    def set_locale(self, locale: str) -> None:
        if locale in self.flow.spec.locales:
            self.session.locale = locale
            self.changed()
            self.world.locale_changed.add(self.session.msisdn)

    # -- speech ----------------------------------------------------------------
    def say(self, text: str, audio: str | None = None) -> None:
        """Add a spoken/written part; ``audio`` is the recording of exactly this part, if any."""
        if not text:
            return
        self.out.append(text)
        if audio is None:
            self.recorded = False
        else:
            self.audio.append(audio)

    def text(self, node: Node[Any]) -> str:
        assert node.text is not None
        return node.text.render(self.session.channel, self.session.locale, self.flow.locale, self.ctx())

    def say_node(self, node: Node[Any]) -> None:
        self.say(self.text(node), prompt_id(self.flow, node, self.session.channel, self.session.locale))

    def say_msg(self, key: str, **extra: Any) -> None:
        ctx = dict(self.ctx())
        ctx.update(extra)
        s = self.session
        static = self.flow.messages[key].get(s.channel, s.locale, self.flow.locale).static
        self.say(self.flow.message(key, s.channel, s.locale, ctx), f"{self.flow.id}/msg/{key}" if static else None)

    def push_sms(self, text: str) -> None:
        s = self.session
        self.pushes.append(Reply("sms", s.msisdn, text, s.locale, push=True, meta={"flow": s.flow}))
        if self.world.observers:
            self.emit("push", text=self.masked(text))

    def emit(self, kind: str, **data: Any) -> None:
        if not self.world.observers:
            return
        s = self.session
        self.world.emit(EngineEvent(kind, s.key, s.channel, s.flow, s.version, s.state, data, s.msisdn, self.now,
                                    s.created))

    def masked(self, text: str) -> str:
        """``text`` with every secret value of the session (passwords, OTPs) masked, for observers."""
        s = self.session
        values = [str(s.vars[n]) for n in self.flow.secrets if s.vars.get(n)]
        for path in self.secrets:
            head, _, tail = path.partition(".")
            holder = s.vars.get(head)
            value = holder.get(tail) if tail and isinstance(holder, dict) else holder
            if value:
                values.append(str(value))
        for value in sorted(values, key=len, reverse=True):  # the longer first: it may contain a shorter one
            text = text.replace(value, MASK)
        return text

    def note_secret(self, paths: list[str]) -> None:
        self.secrets.extend(paths)

    def wipe_secrets(self) -> None:
        """Secret inputs and call results live for this turn only: never saved with the session.

        A password is therefore checked in the turn it is typed (``input`` → ``call``
        run back to back); a later turn sees only the level it proved.
        """
        s = self.session
        for name in self.world.secret_names():
            s.vars.pop(name, None)
        for path in self.secrets:
            head, _, tail = path.partition(".")
            if tail and isinstance(s.vars.get(head), dict):
                s.vars[head].pop(tail, None)
            else:
                s.vars.pop(head, None)
        self.secrets.clear()

    # -- the backend -------------------------------------------------------------
    def operation(self, name: str) -> OperationInfo | None:
        return self.world.operations.get(name)

    async def call_backend(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        s = self.session
        # pragma: no mutate start (equivalent: cast() does nothing at run time)
        ctx = CallContext(s.msisdn, s.channel, s.key, s.locale, auth=cast(AuthLevel, s.auth_level))
        # pragma: no mutate end
        return await self.world.call(name, params, ctx)

    async def allowed(self, info: OperationInfo) -> str | None:
        """Why the session may not run ``info`` now (a message key), or None: see ``engine.run.guard``."""
        return await guard.refusal(self.world, self.session, info, self.source)

    async def proved(self, info: OperationInfo, ok: bool) -> None:
        if await guard.record(self.world, self.session, info, ok, self.source, self.now):
            self.changed()

    # -- movement --------------------------------------------------------------
    @property
    def node(self) -> Node[Any]:
        return self.flow.nodes[self.session.state]

    async def goto(self, target: str) -> None:
        """Fire the edge to ``target`` and run states until one waits or the session ends."""
        steps = 0
        nxt: str | None = target
        while nxt is not None and not self.ended:
            steps += 1
            if steps > MAX_AUTO_STEPS:
                self.world.log.error("flow %s loops without waiting at %s", self.flow.id, nxt)
                self.say_msg("busy")
                self.end()
                return
            if nxt is not JUMP:
                self.flow.machine.fire(self.session, nxt)
            self.session.counters.clear()
            self.emit("state")
            node = self.node
            nxt = await node.kind.enter(self, node)

    async def enter_first(self) -> None:
        """Run the state the session already stands in (a new session, a subflow jump)."""
        self.emit("state")
        node = self.node
        nxt = await node.kind.enter(self, node)
        if nxt is not None and not self.ended:
            await self.goto(nxt)

    async def start_at(self, state: str) -> None:
        """A trigger that starts past the entry: jump there, then run it."""
        if state != self.session.state:
            self.flow.machine.jump(self.session, state)
        await self.enter_first()

    async def goto_root(self, root: CompiledFlow) -> None:
        """Main-menu navigation: back to the outermost flow's entry, leaving any subflow."""
        s = self.session
        s.stack.clear()
        if root is self.flow:
            await self.goto(root.spec.entry)
            return
        s.flow, s.version = root.id, root.version
        root.machine.jump(s, root.spec.entry)
        self.flow = root
        s.counters.clear()
        await self.enter_first()

    def enter_subflow(self, flow_id: str, caller: str) -> str | None:
        sub = self.world.current(flow_id)
        if sub is None:
            return None
        s = self.session
        s.stack.append((s.flow, s.version, caller))
        s.flow, s.version = sub.id, sub.version
        sub.machine.jump(s, sub.spec.entry)
        self.flow = sub
        return JUMP

    def leave_subflow(self) -> str | None:
        s = self.session
        if not s.stack:
            self.end()
            return None
        flow_id, version, caller = s.stack.pop()
        parent = self.world.flow(flow_id, version)
        if parent is None:
            self.say_msg("busy")
            self.end()
            return None
        s.flow, s.version = parent.id, parent.version
        parent.machine.jump(s, caller)
        self.flow = parent
        goto: str | None = parent.nodes[caller].spec.goto
        return goto

    def end(self) -> None:
        self.ended = True
        self.wait = None

    # -- input -----------------------------------------------------------------
    async def feed(self, raw: str) -> None:
        """Apply one input to the waiting state."""
        node = self.node
        self.shown_input = node.kind.shown_input(node, raw.strip())
        await node.kind.feed(self, node, raw.strip())

    def prompt(self, node: Node[Any]) -> None:
        node.kind.prompt(self, node)

    async def invalid(self, node: Node[Any], default_key: str) -> None:
        s = self.session
        n = s.counters.get("nomatch", 0) + 1
        s.counters["nomatch"] = n
        self.emit("invalid", count=n, text=self.shown_input)
        if n >= (node.kind.retries(node.spec) or self.flow.spec.retries):
            await node.kind.give_up(self, node)
            return
        if node.error is not None:
            static = node.error.get(s.channel, s.locale, self.flow.locale).static
            self.say(node.error.render(s.channel, s.locale, self.flow.locale, self.ctx()),
                     f"{self.flow.id}/{node.name}/error" if static else None)
        else:
            self.say_msg(default_key)
        self._reprompt(node)

    async def noinput(self) -> None:
        s = self.session
        n = s.counters.get("noinput", 0) + 1
        s.counters["noinput"] = n
        self.emit("noinput", count=n)
        node = self.node
        if n >= MAX_NOINPUT:
            await node.kind.give_up(self, node)
            return
        self.say_msg("no_input")
        self._reprompt(node)

    def _reprompt(self, node: Node[Any]) -> None:
        """Say the prompt again without resetting the tries counted so far."""
        counters = dict(self.session.counters)
        node.kind.prompt(self, node)
        self.session.counters.update(counters)

    async def fallback(self, node: Node[Any]) -> None:
        """Out of tries: the state's ``fallback``, else an agent on the IVR, else goodbye."""
        fallback = node.kind.fallback_state(node.spec)
        if fallback:
            await self.goto(fallback)
        elif self.session.channel == "ivr" and self.agent() is not None:
            self.to_agent()
        else:
            self.say_msg("too_many_tries")
            self.end()

    # -- agents ----------------------------------------------------------------
    def agent(self) -> AgentConfig | None:
        """This flow's agent queue, or the calling flow's when a subflow has none."""
        if self.flow.spec.agent is not None or not self.session.stack:
            return self.flow.spec.agent
        root = self.world.flow(*self.session.stack[0][:2])
        return root.spec.agent if root is not None else None

    def to_agent(self) -> None:
        agent = self.agent()
        if agent is None:
            self.say_msg("transfer_elsewhere")
            self.end()
            return
        if agent.hours and not within_hours(agent.hours, self.now):
            self.say_msg("agent_closed", hours=agent.hours)
            self._busy_sms("agent_busy_sms", hours=agent.hours)
            self.end()
            return
        self.transfer(agent.target, None, agent.max_wait)

    def agent_unreached(self, reason: str, waited: float) -> None:
        """The IVR reports that a caller handed to agents reached none (the wait threshold passed, the
        queue was full or empty, the line busy): say so, send the self-service ways by SMS, hang up."""
        agent = self.agent()
        seconds = max(0, round(waited))
        self.emit("agent_unavailable", reason=reason, waited=seconds, target=agent.target if agent else "")
        sent = self._busy_sms("agent_wait_sms", minutes=seconds // 60, waited=seconds, reason=reason)
        self.say_msg("agent_busy" if sent else "agent_busy_later")
        self.end()

    def _busy_sms(self, key: str, **extra: Any) -> bool:
        """遇忙短信: a caller who finds no agent gets the self-service ways by SMS (empty message: off;
        a withheld number: none). True when one was sent."""
        s = self.session
        text = self.flow.message(key, "sms", s.locale, {**self.ctx(), **extra}).strip()
        if s.channel != "ivr" or not text or not s.msisdn:
            return False
        self.push_sms(text)
        return True

    def transfer(self, target: str, node: Node[Any] | None, max_wait: int | None = None) -> None:
        """To an agent on the IVR; elsewhere say how to reach one (the state's own text when it has one).

        ``max_wait`` (the flow's agent threshold) asks the IVR to give up after that many seconds and
        report how the transfer went (see ``Engine``: the session stays as a ticket until then)."""
        s = self.session
        if s.channel == "ivr":
            if node is not None and node.text:
                self.say_node(node)
            else:
                self.say_msg("transferring")
            self.transfer_to = Transfer(target, max_wait=max_wait)
        elif node is not None and node.text is not None and (s.channel, s.locale) in node.text.by_key:
            self.say(self.text(node))
        else:
            self.say_msg("transfer_elsewhere")
        self.emit("transfer", target=target)
        self.end()
