"""``menuflow campaign run|status FILE.yaml``: outbound SMS campaigns (see ``app.campaign``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import Counter

from app.campaign.display import ProgressBar, print_summary
from app.campaign.runner import CampaignRunner
from app.campaign.spec import Campaign, CampaignError, load
from app.campaign.store import CampaignStore
from engine.flow.diagnostics import FlowError
from engine.run.build import build_engine
from gateways.hostport import parse_host_port
from gateways.sms.options import SmppOptions


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("campaign", help="send an SMS campaign to an audience CSV, or show where one stands")
    p.add_argument("action", choices=("run", "status"))
    p.add_argument("file", metavar="FILE.yaml")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        campaign = load(args.file)
        store = CampaignStore(campaign.state_path, campaign.spec.campaign)
    except CampaignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.action == "status":
            print_summary(sys.stdout, f"campaign {campaign.spec.campaign}", len(campaign.audience()), store.counts())
            return 0
        return _send(campaign, store)
    except CampaignError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _send(campaign: Campaign, store: CampaignStore) -> int:
    spec = campaign.spec
    try:
        host, port = parse_host_port(spec.smsc)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise CampaignError(f"{campaign.path}: smsc: {exc}") from None
    options = SmppOptions(host=host, port=port, system_id=spec.system_id,
                          password=os.environ.get(spec.password_env, ""), shortcode=spec.shortcode, tps=spec.tps)
    bar = ProgressBar(sys.stderr)
    try:
        counts = asyncio.run(_run(campaign, store, options, bar))
    except KeyboardInterrupt:
        bar.close()
        print("interrupted: run the same command again to resume (nothing is sent twice)", file=sys.stderr)
        return 130
    except FlowError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TimeoutError:
        bar.close()
        print(f"error: could not bind to the SMSC at {spec.smsc}", file=sys.stderr)
        return 1
    bar.close()
    print_summary(sys.stdout, f"campaign {spec.campaign}", len(campaign.audience()), counts)
    return 0


async def _run(campaign: Campaign, store: CampaignStore, options: SmppOptions, bar: ProgressBar) -> Counter[str]:
    """Send; a ``start`` campaign first builds the engine its subscribers converse with."""
    if campaign.spec.start is None:
        return await CampaignRunner(campaign, store, options, on_progress=bar).run()
    engine = build_engine(campaign.flows_path, campaign.spec.backend)
    runner = CampaignRunner(campaign, store, options, on_progress=bar, flow=engine.handle)
    engine.observers.append(lambda event: runner.on_event(event.kind, event.session_key))
    try:
        return await runner.run()
    finally:
        await engine.backend.close()
