"""The mechanics of one turn: context, speech, movement along the shared machine.

``TurnCore`` runs states until one waits or the session ends; ``engine.turn``
adds what to do with the subscriber's input, ``engine.calls`` the backend calls.
States move only along edges declared in the flow's shared ``transitions`` machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.calls import call_state
from engine.events import MASK, EngineEvent
from engine.flow import CompiledFlow, Node
from engine.render import msg, render_menu
from engine.session import Session
from engine.types import Reply, Transfer, Wait

if TYPE_CHECKING:
    from engine.runtime import Engine

MAX_AUTO_STEPS = 64
#: Returned by ``enter`` when the session already stands in its next state
#: (a subflow's entry), so no edge is fired to get there.
JUMP = "\x00jump"


def _menu_wait(flow: CompiledFlow, node: Node, channel: str) -> Wait:
    """A menu collects as many digits as its longest key (hidden options included)."""
    key = (node.name, "wait", channel)
    wait: Wait | None = flow.cache.get(key)
    if wait is None:
        longest = max((len(o.key) for o in node.by_channel.get(channel, ())), default=1)
        wait = flow.cache[key] = Wait("choice", max_digits=longest)
    return wait


def prompt_id(flow: CompiledFlow, node: Node, channel: str, locale: str) -> str | None:
    """The recording id of a state's prompt: its ``audio`` or ``flow/state``; None when it varies."""
    if node.text is None:
        return None
    static = node.static if node.kind == "menu" else node.text.get(channel, locale, flow.locale).static
    if not static:
        return None
    return node.text.audio or f"{flow.id}/{node.name}"


class TurnCore:
    def __init__(self, engine: Engine, session: Session, flow: CompiledFlow, now: float) -> None:
        self.engine = engine
        self.session = session
        self.flow = flow
        self.now = now
        self.out: list[str] = []
        self.audio: list[str] = []
        #: Every part said so far has a recording: the IVR may play ``audio`` instead of the text.
        self.recorded = True
        self.pushes: list[Reply] = []
        self.wait: Wait | None = None
        self.transfer: Transfer | None = None
        self.ended = False
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
        c.setdefault("authenticated", False)
        self._ctx = c
        return c

    def changed(self) -> None:
        """Variables or the locale changed: the next ``ctx()`` rebuilds the template context."""
        self._ctx = None

    def say(self, text: str, audio: str | None = None) -> None:
        """Add a spoken/written part; ``audio`` is the recording of exactly this part, if any."""
        if not text:
            return
        self.out.append(text)
        if audio is None:
            self.recorded = False
        else:
            self.audio.append(audio)

    def say_node(self, node: Node) -> None:
        self.say(self.text(node), prompt_id(self.flow, node, self.session.channel, self.session.locale))

    def say_msg(self, key: str, **extra: Any) -> None:
        ctx = dict(self.ctx())
        ctx.update(extra)
        s = self.session
        text = self.flow.messages[key]
        static = text.get(s.channel, s.locale, self.flow.locale).static
        self.say(msg(self.flow, key, s.channel, s.locale, ctx), f"{self.flow.id}/msg/{key}" if static else None)

    def emit(self, kind: str, **data: Any) -> None:
        if not self.engine.observers:
            return
        self.engine.emit(EngineEvent(kind, self.session.key, self.session.channel, self.session.flow,
                                     self.session.version, self.session.state, data))

    @property
    def node(self) -> Node:
        return self.flow.nodes[self.session.state]

    # -- movement --------------------------------------------------------------
    async def goto(self, target: str) -> None:
        """Fire the edge to ``target`` and run states until one waits or the session ends."""
        steps = 0
        nxt: str | None = target
        while nxt is not None and not self.ended:
            steps += 1
            if steps > MAX_AUTO_STEPS:
                self.engine.log.error("flow %s loops without waiting at %s", self.flow.id, nxt)
                self.say_msg("busy")
                self.end()
                return
            if nxt is not JUMP:
                self.flow.fire(self.session, nxt)
            self.session.counters.clear()
            self.emit("state")
            nxt = await self.enter(self.node)

    async def enter_first(self) -> None:
        """Run the state the session already stands in (a new session, a subflow jump)."""
        self.emit("state")
        nxt = await self.enter(self.node)
        if nxt is not None and not self.ended:
            await self.goto(nxt)

    async def goto_root(self, root: CompiledFlow) -> None:
        """Main-menu navigation: back to the outermost flow's entry, leaving any subflow."""
        s = self.session
        if root is self.flow:
            await self.goto(root.spec.entry)
            return
        s.flow, s.version = root.id, root.version
        root.machine.set_state(root.spec.entry, model=s)
        self.flow = root
        s.counters.clear()
        await self.enter_first()

    async def enter(self, node: Node) -> str | None:
        """Run ``node``; return the next state for automatic states, None when waiting/ended."""
        kind = node.kind
        st = node.spec
        if kind in ("menu", "input", "confirm"):
            self.prompt(node)
            return None
        if kind in ("message", "end", "send"):
            text = self.text(node)
            if kind == "send":
                self.push_sms(text)
            else:
                self.say(text, prompt_id(self.flow, node, self.session.channel, self.session.locale))
            if st.goto is None:
                self.end()
            return st.goto  # type: ignore[no-any-return]
        if kind == "switch":
            ctx = self.ctx()
            for expr, target in node.cases:
                if expr(ctx):
                    return target
            return st.default  # type: ignore[no-any-return]
        if kind == "set":
            return self.assign(node)
        if kind == "call":
            return await call_state(self, node)
        if kind == "subflow":
            return self.enter_subflow(node)
        if kind == "return":
            if node.text:
                self.say_node(node)
            return self.leave_subflow()
        if kind == "transfer":
            self.do_transfer(st.target, node)
            return None
        raise AssertionError(f"unhandled state kind {kind}")

    def text(self, node: Node) -> str:
        assert node.text is not None
        return node.text.render(self.session.channel, self.session.locale, self.flow.locale, self.ctx())

    def prompt(self, node: Node) -> None:
        s = self.session
        if node.kind == "menu":
            audio = prompt_id(self.flow, node, s.channel, s.locale)
            ctx = {} if node.static else self.ctx()  # a static menu is rendered once per version
            self.say(render_menu(self.flow, node, s.channel, s.locale, ctx), audio)
            self.wait = _menu_wait(self.flow, node, s.channel)
        elif node.kind == "input":
            st = node.spec
            self.say_node(node)
            digits = st.kind in ("digits", "phone", "amount")
            max_digits = st.max_digits or st.max_length or (11 if st.kind == "phone" else 20)
            self.wait = Wait("digits" if digits else "text", max_digits=max_digits, secret=st.secret)
        else:  # confirm
            cfg = self.flow.spec.confirm
            window = node.spec.window or cfg.window
            if not s.pending:
                s.pending = self.now + window
            self.say_node(node)
            key = "confirm_hint_ivr" if s.channel == "ivr" else "confirm_hint"
            yes = "1" if s.channel == "ivr" else "/".join(cfg.yes[:2])
            no = "2" if s.channel == "ivr" else cfg.no[0]
            self.say_msg(key, yes=yes, no=no, minutes=max(1, window // 60))
            self.wait = Wait("choice", max_digits=1, barge_in=False)

    def end(self) -> None:
        self.ended = True
        self.wait = None

    def push_sms(self, text: str) -> None:
        s = self.session
        self.pushes.append(Reply("sms", s.msisdn, text, s.locale, push=True, meta={"flow": s.flow}))
        if self.engine.observers:
            self.emit("push", text=self.masked(text))

    def masked(self, text: str) -> str:
        """``text`` with every secret value of the session (passwords, OTPs) masked, for observers."""
        s = self.session
        values = [str(s.vars[n]) for n in self.flow.secrets if s.vars.get(n)]
        for path in s.vars.get("_secret", ()):
            head, _, tail = path.partition(".")
            holder = s.vars.get(head)
            value = holder.get(tail) if tail and isinstance(holder, dict) else holder
            if value:
                values.append(str(value))
        for value in sorted(values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def assign(self, node: Node) -> str:
        ctx = self.ctx()
        for key, tpl in node.params.items():
            value: Any = tpl.render(ctx)
            if value in ("true", "True"):
                value = True
            elif value in ("false", "False"):
                value = False
            if key == "locale":
                if value in self.flow.spec.locales:
                    self.session.locale = str(value)
                    self.changed()
                    self.engine.forget_locale(self.session.msisdn)
                continue
            self.session.vars[key] = value
        self.changed()
        return node.spec.goto  # type: ignore[no-any-return]

    def enter_subflow(self, node: Node) -> str | None:
        sub = self.engine.registry.current.get(node.spec.flow)
        if sub is None:
            self.say_msg("busy")
            self.end()
            return None
        s = self.session
        s.stack.append((s.flow, s.version, node.name))
        s.flow, s.version = sub.id, sub.version
        sub.machine.set_state(sub.spec.entry, model=s)
        self.flow = sub
        return JUMP

    def leave_subflow(self) -> str | None:
        s = self.session
        if not s.stack:
            self.end()
            return None
        flow_id, version, caller = s.stack.pop()
        parent = self.engine.registry.get(flow_id, version)
        if parent is None:
            self.say_msg("busy")
            self.end()
            return None
        s.flow, s.version = parent.id, parent.version
        parent.machine.set_state(caller, model=s)
        self.flow = parent
        return parent.nodes[caller].spec.goto  # type: ignore[no-any-return]

    def do_transfer(self, target: str, node: Node | None) -> None:
        s = self.session
        if s.channel == "ivr":
            if node is not None and node.text:
                self.say_node(node)
            else:
                self.say_msg("transferring")
            self.transfer = Transfer(target)
        else:
            override = node is not None and node.text is not None and (s.channel, s.locale) in node.text.by_key
            if override and node is not None:
                self.say(self.text(node))
            else:
                self.say_msg("transfer_elsewhere")
        self.emit("transfer", target=target)
        self.end()

    # -- input -----------------------------------------------------------------
