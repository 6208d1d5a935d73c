"""The squad's three agents on AWS Strands Agents, for `scripts/bench-compare`.

Lead Response, Scheduler and Invoice as a Strands Swarm with a scripted model that asks for the
same tools, in the same order, as Opsquad's offline model does for the benchmark's inquiries
(qualify, reply and hand off; check availability, book, confirm and hand off; bill and send the
invoice). The tools do their work in memory: Strands keeps nothing durable here, while Opsquad
commits every step. Prints one JSON object with the same figures as `opsquad bench`.
"""

import argparse
import asyncio
import json
import logging
import resource
import time
from typing import Any

from strands import Agent, tool
from strands.models.model import Model
from strands.multiagent import Swarm

# Each agent's turns: the tools it asks for in that turn (an empty turn ends the agent's part).
SCRIPT: dict[str, list[list[tuple[str, dict[str, Any]]]]] = {
    "lead_response": [
        [("qualify_lead", {"service": "furnace_repair", "zip": "62704", "urgency": "high"})],
        [
            ("send_reply", {"text": "Thanks! A technician can come out; we'll confirm a time shortly."}),
            ("handoff_to_agent", {"agent_name": "scheduler", "message": "qualified lead ready to book"}),
        ],
        [],
    ],
    "scheduler": [
        [("check_availability", {"service": "furnace_repair"})],
        [("book_appointment", {"technician_id": "tech-1", "starts_at": 1_790_000_000_000})],
        [
            ("send_confirmation", {}),
            ("handoff_to_agent", {"agent_name": "invoice", "message": "booked; bill the visit when it is done"}),
        ],
        [],
    ],
    "invoice": [
        [("generate_invoice", {})],
        [("send_invoice", {})],
        [],
    ],
}


class ScriptedModel(Model):
    """Answers each turn from `SCRIPT`, as the offline model answers Opsquad's agents."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self.calls = 0
        self.tool_uses = 0

    def update_config(self, **model_config: Any) -> None:
        pass

    def get_config(self) -> Any:
        return {"model_id": f"scripted-{self.agent}"}

    async def structured_output(self, output_model, prompt, system_prompt=None, **kwargs):  # type: ignore[override]
        raise NotImplementedError("the benchmark's agents do not ask for structured output")
        yield  # pragma: no cover

    async def stream(self, messages, tool_specs=None, system_prompt=None, **kwargs):  # type: ignore[override]
        turns = SCRIPT[self.agent]
        turn = min(sum(1 for m in messages if m["role"] == "assistant"), len(turns) - 1)
        self.calls += 1
        yield {"messageStart": {"role": "assistant"}}
        uses = turns[turn]
        self.tool_uses += len(uses)
        for n, (name, payload) in enumerate(uses):
            yield {"contentBlockStart": {"start": {"toolUse": {"toolUseId": f"{self.agent}-{turn}-{n}", "name": name}}}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(payload)}}}}
            yield {"contentBlockStop": {}}
        if not uses:
            yield {"contentBlockDelta": {"delta": {"text": "Done."}}}
            yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "tool_use" if uses else "end_turn"}}
        yield {"metadata": {"usage": {"inputTokens": 900, "outputTokens": 60, "totalTokens": 960}, "metrics": {"latencyMs": 0}}}


@tool
def qualify_lead(service: str, zip: str, urgency: str) -> dict:
    """Score the inquiry 1-10 with reasons."""
    return {"score": 8, "qualified": True, "reasons": [f"service:{service}", f"area:{zip}", f"urgency:{urgency}"]}


@tool
def send_reply(text: str) -> dict:
    """Reply to the customer."""
    return {"sent": True, "chars": len(text)}


@tool
def check_availability(service: str) -> dict:
    """Openings for the service."""
    slots = [{"technician_id": f"tech-{n % 3}", "starts_at": 1_790_000_000_000 + n * 3_600_000} for n in range(12)]
    return {"service": service, "slots": slots}


@tool
def book_appointment(technician_id: str, starts_at: int) -> dict:
    """Book the opening."""
    return {"appointment_id": f"{technician_id}-{starts_at}", "status": "scheduled"}


@tool
def send_confirmation() -> dict:
    """Confirm the booking to the customer."""
    return {"sent": True}


@tool
def generate_invoice() -> dict:
    """Bill the visit from the price list."""
    lines = [{"description": "Furnace repair", "cents": 18_900}, {"description": "Trip charge", "cents": 4_900}]
    return {"total_cents": sum(line["cents"] for line in lines), "lines": lines}


@tool
def send_invoice() -> dict:
    """Send the invoice with its pay link."""
    return {"sent": True, "pay_link": "https://pay.example/abc"}


TOOLS = {
    "lead_response": [qualify_lead, send_reply],
    "scheduler": [check_availability, book_appointment, send_confirmation],
    "invoice": [generate_invoice, send_invoice],
}


async def one_lead(n: int, models: list[ScriptedModel]) -> float:
    agents = []
    for name in ("lead_response", "scheduler", "invoice"):
        model = ScriptedModel(name)
        models.append(model)
        agents.append(Agent(name=name, model=model, tools=TOOLS[name], system_prompt=f"You are {name}.", callback_handler=None))
    swarm = Swarm(agents, max_handoffs=10, max_iterations=12)
    started = time.perf_counter()
    result = await swarm.invoke_async(f"Inquiry {n}: our furnace stopped working last night. 1420 Walnut St, 62704")
    elapsed = time.perf_counter() - started
    if str(result.status) not in ("Status.COMPLETED", "completed"):
        raise RuntimeError(f"lead {n} ended as {result.status}")
    return elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)

    models: list[ScriptedModel] = []
    gate = asyncio.Semaphore(args.concurrency)

    async def gated(n: int) -> float:
        async with gate:
            return await one_lead(n, models)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    latencies = sorted(await asyncio.gather(*(gated(n) for n in range(args.leads))))
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)

    def percentile(p: float) -> int:
        return round(latencies[min(round((len(latencies) - 1) * p), len(latencies) - 1)] * 1000)

    print(json.dumps({
        "framework": "strands-agents",
        "leads": args.leads,
        "concurrency": args.concurrency,
        "model_calls_per_lead": sum(m.calls for m in models) / args.leads,
        "tool_calls_per_lead": sum(m.tool_uses for m in models) / args.leads,
        "pipeline_seconds": round(seconds, 3),
        "pipeline_leads_per_second": round(args.leads / seconds, 1),
        "run_ms": {"p50": percentile(0.50), "p99": percentile(0.99), "max": round(latencies[-1] * 1000)},
        "cpu_seconds_per_lead": round(cpu / args.leads, 5),
        "peak_rss_mib": cpu_after.ru_maxrss // 1024,
    }))


if __name__ == "__main__":
    asyncio.run(main())
