"""What each kind of target becomes, and the exact refusal for each mistake in naming one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sample_apps

from harness import StartError, TargetError, TestApp


def test_a_dotted_attribute_after_the_colon_is_followed(data_root: Path) -> None:
    with TestApp("sample_apps:Holder.app", data_root=data_root) as app:
        assert app.get("/echo").json()["method"] == "GET"
        assert app.name == "Starlette"


def test_a_factory_gets_settings_and_secrets_by_keyword(data_root: Path) -> None:
    target = "sample_apps:Holder.factory"
    with TestApp(target, data_root=data_root, settings={"mode": "x"}, secrets={"KEY": "s"}) as app:
        assert app.get("/given").json() == {
            "settings": {"mode": "x"},
            "secrets": {"KEY": "s"},
            "data_dir": str(app.data_dir),
        }
        assert app.name == "Holder-factory"  # dots of a qualified name become dashes


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (":app", "':app' is not of the form 'package.module:attr'"),
        ("sample_apps:", "'sample_apps:' is not of the form 'package.module:attr'"),
    ],
)
def test_a_malformed_module_attr_string_is_refused(data_root: Path, spec: str, message: str) -> None:
    with pytest.raises(TargetError) as refused:
        TestApp(spec, data_root=data_root)
    assert str(refused.value) == message


def test_a_missing_attribute_names_the_module_and_the_path(data_root: Path) -> None:
    with pytest.raises(StartError) as refused:
        TestApp("sample_apps:Holder.nothing", data_root=data_root)
    assert str(refused.value).startswith("module 'sample_apps' has no attribute 'Holder.nothing'")
    assert isinstance(refused.value.cause, AttributeError)


def test_a_module_that_cannot_be_imported_is_a_start_error(data_root: Path) -> None:
    with pytest.raises(StartError) as refused:
        TestApp("no_such_module_anywhere:app", data_root=data_root)
    assert str(refused.value).startswith(
        "cannot import 'no_such_module_anywhere': ModuleNotFoundError: No module named 'no_such_module_anywhere'"
    )
    assert isinstance(refused.value.cause, ModuleNotFoundError)


def test_a_factory_without_the_keyword_is_told_which_it_lacks(data_root: Path) -> None:
    with pytest.raises(TargetError) as refused:
        TestApp(sample_apps.counter_factory, data_root=data_root, secrets={"KEY": "s"})
    assert str(refused.value) == "factory counter_factory does not accept secrets="
    with pytest.raises(TargetError) as refused:
        TestApp(sample_apps.counter_factory, data_root=data_root, settings={}, secrets={})
    assert str(refused.value) == "factory counter_factory does not accept settings, secrets="


def test_a_factory_whose_own_code_raises_type_error_is_a_start_error(data_root: Path) -> None:
    def broken(data_dir: Path) -> Any:
        return len(5)  # type: ignore[arg-type]

    with pytest.raises(StartError) as refused:
        TestApp(broken, data_root=data_root)
    name = "test_a_factory_whose_own_code_raises_type_error_is_a_start_error-locals-broken"
    assert str(refused.value).startswith(f"app factory {name} failed: object of type 'int' has no len()")
    assert isinstance(refused.value.cause, TypeError)


def test_a_factory_that_raises_is_a_start_error_naming_the_error(data_root: Path) -> None:
    with pytest.raises(StartError) as refused:
        TestApp(sample_apps.failing_factory, data_root=data_root)
    assert str(refused.value).startswith("app factory failing_factory failed: ValueError: factory refused")
    assert isinstance(refused.value.cause, ValueError)


def test_a_factory_that_returns_no_app_is_refused(data_root: Path) -> None:
    def returns_a_number(data_dir: Path) -> Any:
        return 42

    with pytest.raises(TargetError) as refused:
        TestApp(returns_a_number, data_root=data_root)
    name = "test_a_factory_that_returns_no_app_is_refused-locals-returns_a_number"
    assert str(refused.value) == f"factory {name} returned 42, not an ASGI app"


def test_a_lambda_is_named_without_angle_brackets(data_root: Path) -> None:
    with TestApp(lambda: sample_apps.app, data_root=data_root) as app:
        assert app.name == "test_a_lambda_is_named_without_angle_brackets-locals-lambda"


def test_a_callable_of_two_required_arguments_is_refused_showing_its_signature(data_root: Path) -> None:
    def two(a: Any, b: Any) -> Any:
        return sample_apps.app

    with pytest.raises(TargetError) as refused:
        TestApp(two, data_root=data_root)
    assert str(refused.value) == (
        "cannot serve test_a_callable_of_two_required_arguments_is_refused_showing_its_signature.<locals>.two"
        "(a: 'Any', b: 'Any') -> 'Any': an ASGI app takes (scope, receive, send), "
        "a factory takes no argument or (data_dir)"
    )


def test_only_the_first_colon_separates_module_from_attribute(data_root: Path) -> None:
    with pytest.raises(StartError) as refused:
        TestApp("sample_apps:Holder:app", data_root=data_root)
    assert str(refused.value).startswith("module 'sample_apps' has no attribute 'Holder:app'")


def test_a_type_error_inside_a_factory_given_no_keywords_is_its_own_failure(data_root: Path) -> None:
    def strict(data_dir: Path) -> Any:
        raise TypeError("strict() got an unexpected keyword argument 'colour'")

    with pytest.raises(StartError) as refused:
        TestApp(strict, data_root=data_root)
    name = "test_a_type_error_inside_a_factory_given_no_keywords_is_its_own_failure-locals-strict"
    assert str(refused.value).startswith(f"app factory {name} failed: strict() got an unexpected keyword")
