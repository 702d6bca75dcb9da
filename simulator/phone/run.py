"""Start the full-screen phone from ``menuflow sim`` arguments and clean up after it."""

from __future__ import annotations

import argparse
import sys

from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from engine.events.loader import open_event_log
from engine.events.log import EventLog
from engine.flow.registry import FlowRegistry
from simulator.phone.app import PhoneApp
from simulator.phone.local import LocalWorld
from simulator.phone.model import PhoneModel
from simulator.phone.remote import remote_model
from simulator.phone.remote_sms import show_unsolicited
from simulator.phone.speech import Speaker
from simulator.smsc import SmscSimulator
from simulator.transcripts.recorder import Recorder


async def run_phone(args: argparse.Namespace, registry: FlowRegistry, *, input: Input | None = None,
                    output: Output | None = None) -> int:
    speaker = None
    if args.speak:
        try:
            speaker = Speaker()
        except FileNotFoundError as exc:
            print(f"menuflow sim: {exc}", file=sys.stderr)
            return 2
    world: LocalWorld | None = None
    events: EventLog | None = None
    smsc: SmscSimulator | None = None
    model: PhoneModel
    if args.remote or args.smsc:
        if (args.channel == "sms" and not args.smsc) or (args.channel != "sms" and not args.remote):
            print(f"menuflow sim: remote {args.channel} needs " + ("--smsc HOST:PORT" if args.channel == "sms"
                  else "--remote URL"), file=sys.stderr)
            return 2
        if args.smsc:
            smsc = await SmscSimulator(*args.smsc).start()
        model = remote_model(args.channel, args.msisdn, args.lang, args.to, url=args.remote, smsc=smsc)
        if smsc is not None:
            model.note(f"SMSC simulator on {args.smsc[0]}:{smsc.port}: run `menuflow serve --smpp "
                       f"{args.smsc[0]}:{smsc.port}` to bind to it")
    else:
        world = LocalWorld(registry, args.backend, args.to)
        model = world.model(args.channel, args.msisdn, args.lang)
        if args.events:
            try:
                events = await open_event_log(args.events)
            except ValueError as exc:
                print(f"menuflow sim: {exc}", file=sys.stderr)
                return 2
            if events is not None:
                world.engine.observers.append(events)
    if args.record:
        model.recorder = Recorder(args.record)
    phone = PhoneApp(model, registry if world else None, input=input, output=output, speaker=speaker)
    if smsc is not None:
        show_unsolicited(smsc, model, phone.app.invalidate)
    try:
        await phone.run()
    finally:
        await model.device.close()
        if world is not None:
            await world.close()
        if events is not None:
            await events.close()
        if smsc is not None:
            await smsc.close()
        if speaker is not None:
            speaker.stop()
    if model.recorder is not None:
        for path in model.recorder.save():
            print(f"recorded {path}")
    return 0
