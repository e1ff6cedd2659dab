"""Peer baseline: the post-meeting decision check written with botbuilder-dialogs.

Measures per-turn latency and throughput of a five-step WaterfallDialog (four
TextPrompt steps plus a final step that ends the dialog with the collected
answers), with ConversationState on MemoryStorage, driven in-process by
botbuilder-core's TestAdapter (no network, no HTTP).  N conversations are run
interleaved round-robin; each does 5 turns ("hi", then 4 answers).  One turn is
one activity through adapter -> DialogContext.continue_dialog/begin_dialog ->
ConversationState.save_changes, timed with time.perf_counter_ns.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
from typing import Any

from botbuilder.core import (
    ConversationState,
    MemoryStorage,
    MessageFactory,
    TurnContext,
)
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
)

NAME = "botbuilder-dialogs WaterfallDialog (MemoryStorage, TestAdapter)"
QUESTIONS = (
    "What was decided?",
    "What is the action?",
    "Who owns it?",
    "When should we review?",
)
KEYS = ("decision", "action", "owner", "review")


def _ask(index: int) -> Any:
    async def step(ctx: WaterfallStepContext) -> DialogTurnResult:
        if index > 0:
            ctx.values[KEYS[index - 1]] = ctx.result
        prompt = MessageFactory.text(QUESTIONS[index])
        return await ctx.prompt("text", PromptOptions(prompt=prompt))

    return step


async def _finish(step: WaterfallStepContext) -> DialogTurnResult:
    step.values[KEYS[-1]] = step.result
    return await step.end_dialog({k: step.values[k] for k in KEYS})


def _answers(conv: int) -> tuple[str, ...]:
    return (
        f"ship v{conv}",
        f"write plan {conv}",
        f"owner{conv}",
        f"2025-01-{conv % 28 + 1:02d}",
    )


def _percentile(sorted_ns: list[int], q: float) -> float:
    """The nearest-rank percentile in ms, as :func:`bench.http_harness.percentile` (bench_turns' own)."""
    return sorted_ns[max(0, math.ceil(q * len(sorted_ns)) - 1)] / 1e6


async def _run(conversations: int, prefix: str) -> tuple[list[int], float, dict[str, dict[str, str]]]:
    state = ConversationState(MemoryStorage())
    dialogs = DialogSet(state.create_property("DialogState"))
    dialogs.add(TextPrompt("text"))
    dialogs.add(WaterfallDialog("check", [_ask(0), _ask(1), _ask(2), _ask(3), _finish]))
    results: dict[str, dict[str, str]] = {}

    async def logic(turn: TurnContext) -> None:
        dc = await dialogs.create_context(turn)
        result = await dc.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            result = await dc.begin_dialog("check")
        if result.status == DialogTurnStatus.Complete:
            results[turn.activity.conversation.id] = result.result
        await state.save_changes(turn)

    adapter = TestAdapter(logic)
    user = ChannelAccount(id="user", name="user")
    bot = ChannelAccount(id="bot", name="Bot")
    scripts = [(f"{prefix}{c}", ("hi", *_answers(c))) for c in range(conversations)]
    latencies: list[int] = []
    start = time.perf_counter()
    for turn_no in range(5):
        for conv_id, script in scripts:
            activity = Activity(
                type=ActivityTypes.message,
                text=script[turn_no],
                channel_id="test",
                from_property=user,
                recipient=bot,
                conversation=ConversationAccount(id=conv_id),
            )
            t0 = time.perf_counter_ns()
            # receive_activity keeps the activity's own conversation id
            # (process_activity would overwrite it with the adapter template's).
            await adapter.receive_activity(activity)
            latencies.append(time.perf_counter_ns() - t0)
        adapter.activity_buffer.clear()  # bot replies (prompts); not inspected
    seconds = time.perf_counter() - start
    return latencies, seconds, results


async def run_baseline(conversations: int = 500, warmup: int = 20) -> dict:
    """Run `conversations` interleaved 5-turn dialogs; return throughput and latency."""
    if warmup > 0:
        await _run(warmup, "warm-")
    latencies, seconds, results = await _run(conversations, "conv-")
    completed = sum(
        1 for c in range(conversations) if results.get(f"conv-{c}") == dict(zip(KEYS, _answers(c), strict=True))
    )
    if completed != conversations:  # explicit so it also holds under python -O
        raise AssertionError(f"only {completed}/{conversations} dialogs completed")
    latencies.sort()
    return {
        "name": NAME,
        "turns": len(latencies),
        "seconds": seconds,
        "turns_per_s": len(latencies) / seconds,
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "completed": completed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=500)
    args = parser.parse_args()
    runs = [asyncio.run(run_baseline(args.conversations)) for _ in range(3)]
    for i, r in enumerate(runs, 1):
        print(
            f"run {i}: {r['turns']} turns in {r['seconds']:.3f} s"
            f" = {r['turns_per_s']:,.0f} turns/s,"
            f" p50 {r['p50_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms"
        )
    print(f"{NAME}, {args.conversations} interleaved conversations, median of 3 runs:")
    print(f"  turns:      {runs[0]['turns']} (dialogs completed: {runs[0]['completed']})")
    print(f"  turns/s:    {statistics.median(r['turns_per_s'] for r in runs):,.0f}")
    print(f"  wall time:  {statistics.median(r['seconds'] for r in runs):.3f} s")
    print(f"  p50:        {statistics.median(r['p50_ms'] for r in runs):.3f} ms")
    print(f"  p99:        {statistics.median(r['p99_ms'] for r in runs):.3f} ms")


if __name__ == "__main__":
    main()
