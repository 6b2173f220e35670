"""The scenario format: what ``Scenario.from_dict`` and ``load_scenario`` accept, and how they
refuse a malformed file (the file, the rule's number and name, and the field are named).

Expected values are written out here by hand (docs/scenarios.md is the format's reference),
never read back from the engine.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from mock_media.cli import main
from mock_media.core.facts import ErrorCode
from mock_media.core.scenario import Action, Match, Rule, Scenario, ScenarioError
from mock_media.scenario_files import bundled, load_scenario

# The issue's nine bundled scenarios.
BUNDLED = (
    "429-storm",
    "bad-day",
    "balance-drain",
    "concurrency-squeeze",
    "flaky-generation",
    "model-outage",
    "moderation",
    "slow-videos",
    "video-failures",
)


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- valid files ----------------------------------------------------------------------------
def test_load_scenario__minimal_file_is_a_name(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "quiet"\n')

    scenario = load_scenario(path)

    assert scenario == Scenario(name="quiet", description="", seed=None, rules=())


def test_load_scenario__minimal_rule_has_only_an_action(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "slow"\n[[rules]]\naction = { latency = 2 }\n')

    [rule] = load_scenario(path).rules

    assert rule == Rule(name="", match=Match(), action=Action(latency=2.0))


def test_load_scenario__every_match_key_parsed(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'name = "all-match"\n'
        'description = "every match key"\n'
        "seed = 42\n"
        "[[rules]]\n"
        'name = "picky"\n'
        "[rules.match]\n"
        'route = ["generate_image", "get_job"]\n'
        'method = ["post", "Get"]\n'
        'account = "agent-key"\n'
        "requests = [3, 7]\n"
        "window = [10, 45.5]\n"
        "probability = 0.25\n"
        'prompt_words = ["Gun", "gore"]\n'
        "[rules.action]\n"
        'error = "generation_failed"\n',
    )

    scenario = load_scenario(path)

    assert (scenario.name, scenario.description, scenario.seed) == ("all-match", "every match key", 42)
    [rule] = scenario.rules
    assert rule.name == "picky"
    match = rule.match
    assert match.routes == frozenset({"generate_image", "get_job"})
    assert match.methods == frozenset({"POST", "GET"})
    assert match.accounts == frozenset({"agent-key"})
    assert match.requests == (3, 7)
    assert match.window == (10.0, 45.5)
    assert match.probability == 0.25
    assert match.prompt_words is not None
    assert match.prompt_words.terms == ("gore", "gun")
    assert match.prompt_words.blocked_term("a GUN on the table") == "gun"
    assert match.prompt_words.blocked_term("begun") is None


def test_load_scenario__every_action_key_parsed(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'name = "all-action"\n'
        "[[rules]]\n"
        'name = "everything"\n'
        "[rules.action]\n"
        'error = "rate_limit_exceeded"\n'
        'message = "slow down"\n'
        "retry_after = 9\n"
        "latency = 1.5\n"
        "video_time_factor = 4\n"
        'video_fail = "model_unavailable"\n'
        'plan = "Starter"\n'
        'balance_usd = "2.50"\n'
        'transport = "reset"\n'
        "[[rules]]\n"
        'name = "numbers"\n'
        'action = { balance_usd = 3, transport = "timeout", video_time_factor = 0.5 }\n',
    )

    everything, numbers = load_scenario(path).rules

    assert everything.match == Match()
    assert everything.action == Action(
        error=ErrorCode.RATE_LIMIT_EXCEEDED,
        message="slow down",
        retry_after=9,
        latency=1.5,
        video_time_factor=4.0,
        video_fail=ErrorCode.MODEL_UNAVAILABLE,
        plan="starter",
        balance_usd=Decimal("2.50"),
        transport="reset",
    )
    assert numbers.action == Action(balance_usd=Decimal("3.00"), transport="timeout", video_time_factor=0.5)


def test_load_scenario__route_and_strings_may_be_single_values() -> None:
    scenario = Scenario.from_dict(
        {
            "name": "single",
            "rules": [{"match": {"route": "generate_video", "method": "post"}, "action": {"latency": 0}}],
        }
    )

    match = scenario.rules[0].match
    assert (match.routes, match.methods) == (frozenset({"generate_video"}), frozenset({"POST"}))


def test_load_scenario__json_file_same_as_toml(tmp_path: Path) -> None:
    data = {
        "name": "twin",
        "seed": 1,
        "rules": [{"name": "r", "match": {"requests": [1, 2]}, "action": {"error": "model_unavailable"}}],
    }
    toml = _write(
        tmp_path,
        'name = "twin"\nseed = 1\n[[rules]]\nname = "r"\n'
        'match = { requests = [1, 2] }\naction = { error = "model_unavailable" }\n',
    )
    as_json = _write(tmp_path, json.dumps(data), "twin.json")

    assert load_scenario(as_json) == load_scenario(toml) == Scenario.from_dict(data)


def test_load_scenario__path_as_string_that_is_no_bundled_name(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "by-string"\n')

    assert load_scenario(str(path)).name == "by-string"


# --- malformed rules: the file, the rule and the field ---------------------------------------
GOOD_THEN_BAD = """\
name = "broken"
description = "a good rule, then a bad one"

[[rules]]
name = "fine"
match = {{ route = "generate_image" }}
action = {{ latency = 1 }}

[[rules]]
name = "bad-rule"
{rule}
"""

# (id, the bad rule's TOML lines, the field its message must name)
BAD_RULES = [
    ("unknown-rule-key", 'action = { latency = 1 }\nwhen = "later"', "unknown key 'when'"),
    ("match-not-a-table", "match = 3\naction = { latency = 1 }", "match must be a table"),
    ("unknown-match-key", 'match = { rout = "generate_image" }\naction = { latency = 1 }', "match.rout"),
    ("unknown-action-key", 'action = { eror = "generation_failed" }', "action.eror"),
    ("route-wrong-type", "match = { route = 5 }\naction = { latency = 1 }", "match.route"),
    ("route-unknown", 'match = { route = "generate_audio" }\naction = { latency = 1 }', "match.route"),
    ("route-empty-list", "match = { route = [] }\naction = { latency = 1 }", "match.route"),
    ("method-wrong-type", "match = { method = 1 }\naction = { latency = 1 }", "match.method"),
    ("account-wrong-type", "match = { account = [1, 2] }\naction = { latency = 1 }", "match.account"),
    (
        "prompt-words-wrong-type",
        "match = { prompt_words = 3 }\naction = { latency = 1 }",
        "match.prompt_words",
    ),
    ("requests-from-zero", "match = { requests = [0, 3] }\naction = { latency = 1 }", "match.requests"),
    ("requests-reversed", "match = { requests = [5, 1] }\naction = { latency = 1 }", "match.requests"),
    ("requests-fraction", "match = { requests = [1.5, 3] }\naction = { latency = 1 }", "match.requests"),
    ("requests-one-number", "match = { requests = [3] }\naction = { latency = 1 }", "match.requests"),
    ("window-reversed", "match = { window = [5, 1] }\naction = { latency = 1 }", "match.window"),
    ("window-negative", "match = { window = [-1, 5] }\naction = { latency = 1 }", "match.window"),
    ("window-a-string", 'match = { window = "0-45" }\naction = { latency = 1 }', "match.window"),
    ("window-infinite", "match = { window = [0, inf] }\naction = { latency = 1 }", "match.window"),
    ("probability-over-one", "match = { probability = 1.5 }\naction = { latency = 1 }", "match.probability"),
    ("probability-negative", "match = { probability = -0.1 }\naction = { latency = 1 }", "match.probability"),
    ("probability-boolean", "match = { probability = true }\naction = { latency = 1 }", "match.probability"),
    ("probability-nan", "match = { probability = nan }\naction = { latency = 1 }", "match.probability"),
    ("error-unknown-code", 'action = { error = "teapot" }', "action.error"),
    ("error-a-status", "action = { error = 500 }", "action.error"),
    ("video-fail-unknown-code", 'action = { video_fail = "melted" }', "action.video_fail"),
    ("message-wrong-type", 'action = { error = "generation_failed", message = 3 }', "action.message"),
    ("retry-after-zero", 'action = { error = "rate_limit_exceeded", retry_after = 0 }', "action.retry_after"),
    (
        "retry-after-fraction",
        'action = { error = "model_unavailable", retry_after = 1.5 }',
        "action.retry_after",
    ),
    ("latency-negative", "action = { latency = -1 }", "action.latency"),
    ("latency-a-string", 'action = { latency = "slow" }', "action.latency"),
    ("latency-infinite", "action = { latency = inf }", "action.latency"),
    ("plan-unknown", 'action = { plan = "gold" }', "action.plan"),
    ("plan-wrong-type", "action = { plan = 3 }", "action.plan"),
    ("balance-negative", 'action = { balance_usd = "-1" }', "action.balance_usd"),
    ("balance-not-a-number", 'action = { balance_usd = "lots" }', "action.balance_usd"),
    ("balance-fraction-of-a-cent", "action = { balance_usd = 0.001 }", "action.balance_usd"),
    ("transport-unknown", 'action = { transport = "explode" }', "action.transport"),
    ("video-time-factor-zero", "action = { video_time_factor = 0 }", "action.video_time_factor"),
    ("video-time-factor-negative", "action = { video_time_factor = -2 }", "action.video_time_factor"),
    ("video-time-factor-nan", "action = { video_time_factor = nan }", "action.video_time_factor"),
    ("action-empty", 'match = { route = "get_job" }\naction = {}', "action must be a table"),
    ("action-missing", 'match = { route = "get_job" }', "action must be a table"),
    ("action-not-a-table", 'action = "error"', "action must be a table"),
]


@pytest.mark.parametrize(("rule", "field"), [case[1:] for case in BAD_RULES], ids=[c[0] for c in BAD_RULES])
def test_load_scenario__malformed_rule_names_file_rule_and_field(
    tmp_path: Path, rule: str, field: str
) -> None:
    path = _write(tmp_path, GOOD_THEN_BAD.format(rule=rule))

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: rule 2 (bad-rule): "), message
    assert field in message, message
    assert isinstance(caught.value, ValueError)


def test_load_scenario__unnamed_rule_is_named_by_its_number(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "x"\n[[rules]]\naction = { latency = 1 }\n[[rules]]\naction = {}\n')

    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: rule 2: action must be a table"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('description = "no name"', "name must be a non-empty string"),
        ('name = ""', "name must be a non-empty string"),
        ("name = 3", "name must be a non-empty string"),
        ('name = "x"\ndescription = 5', "description must be a string"),
        ('name = "x"\nseed = "eleven"', "seed must be an integer"),
        ('name = "x"\nseed = true', "seed must be an integer"),
        ('name = "x"\nseed = 1.5', "seed must be an integer"),
        ('name = "x"\nrules = "all of them"', "rules must be an array of tables"),
        ('name = "x"\nrules = [1]', "rule 1: a rule must be a table"),
        ('name = "x"\n[[rules]]\nname = 3\naction = { latency = 1 }', "rule 1: name must be a string"),
        ('name = "x"\nrulez = []', "unknown key 'rulez'"),
    ],
    ids=[
        "name-missing",
        "name-empty",
        "name-wrong-type",
        "description-wrong-type",
        "seed-a-string",
        "seed-boolean",
        "seed-fraction",
        "rules-a-string",
        "rule-not-a-table",
        "rule-name-wrong-type",
        "unknown-top-level-key",
    ],
)
def test_load_scenario__malformed_top_level_names_file_and_field(
    tmp_path: Path, text: str, field: str
) -> None:
    path = _write(tmp_path, text + "\n")

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    assert str(caught.value).startswith(f"{path}: {field}"), str(caught.value)


def test_load_scenario__toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, 'name = "x"\n[[rules]]\naction = { latency = }\n')

    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: cannot read it: "), message
    assert "line 3" in message, message


def test_load_scenario__json_syntax_error_names_file(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"name": "x",', "broken.json")

    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: cannot read it: "):
        load_scenario(path)


def test_load_scenario__json_top_level_not_an_object(tmp_path: Path) -> None:
    path = _write(tmp_path, "[1, 2]", "list.json")

    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: a scenario must be a table$"):
        load_scenario(path)


def test_load_scenario__unknown_name_lists_the_bundled_ones() -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario("429-strom")

    message = str(caught.value)
    assert message.startswith("429-strom: no such scenario file, and not a bundled scenario ("), message
    for name in BUNDLED:
        assert name in message


def test_from_dict__source_defaults_to_a_placeholder() -> None:
    with pytest.raises(ScenarioError, match=r"^<scenario>: rule 1 \(r\): action\.transport must be one of"):
        Scenario.from_dict({"name": "x", "rules": [{"name": "r", "action": {"transport": "smoke"}}]})


# --- the bundled scenarios ------------------------------------------------------------------
def test_bundled__exactly_the_nine_of_the_issue() -> None:
    assert tuple(bundled()) == BUNDLED


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled__loads_with_its_name_and_a_one_line_description(name: str) -> None:
    scenario = load_scenario(name)

    assert scenario.name == name
    assert scenario.description.strip() == scenario.description
    assert scenario.description and "\n" not in scenario.description
    assert scenario.rules
    assert all(rule.name for rule in scenario.rules), "every bundled rule is named for the journal"
    assert bundled()[name].name == f"{name}.toml"


def test_cli_scenarios__lists_each_bundled_scenario_with_its_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scenarios"]) == 0

    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == len(BUNDLED)
    for line, name in zip(lines, BUNDLED, strict=True):
        listed_name, _, description = line.partition(" ")
        assert listed_name == name
        assert description.strip() == load_scenario(name).description
