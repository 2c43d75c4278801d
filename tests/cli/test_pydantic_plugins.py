"""Where gilscope profile validates with pydantic (a rule file read afresh, a baseline report), pydantic's
plugins are off, without importing their loader (importlib.metadata). Each check runs in a fresh interpreter:
this one has pydantic imported already."""

import json
import subprocess
import sys
import textwrap


def _run(code: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_models_build_without_the_plugin_loader():
    found = _run(
        """
        import json, sys
        from gilscope.cli.profile import no_pydantic_plugins
        no_pydantic_plugins()
        from gilscope.model import Report, RunInfo, dumps
        from gilscope.model.validate import validated_json
        run = RunInfo(argv=["x.py"], python_version="3.11", gil_enabled=True, free_threaded_build=False,
                      cpu_count=2, wall_s=0.1, cpu_s=0.1, exit_code=0, engine="sampler")
        report = validated_json(Report, dumps(Report(run=run)))
        from pydantic.plugin._schema_validator import create_schema_validator
        print(json.dumps({
            "metadata": "importlib.metadata" in sys.modules,
            "plugins": list(sys.modules["pydantic.plugin._loader"].get_plugins()),
            "argv": report.run.argv,
        }))
        """
    )
    assert found == {"metadata": False, "plugins": [], "argv": ["x.py"]}


def test_a_name_the_stand_in_lacks_comes_from_the_real_loader_with_plugins_off():
    found = _run(
        """
        import json, sys
        from gilscope.cli.profile import no_pydantic_plugins
        no_pydantic_plugins()
        from pydantic.plugin import _loader as stand_in
        group = stand_in.PYDANTIC_ENTRY_POINT_GROUP
        real = sys.modules["pydantic.plugin._loader"]
        print(json.dumps({"group": group, "replaced": real is not stand_in,
                          "plugins": list(real.get_plugins())}))
        """
    )
    assert found == {"group": "pydantic", "replaced": True, "plugins": []}


def test_after_pydantic_is_imported_the_real_loader_is_left_with_an_empty_cache():
    found = _run(
        """
        import json, sys
        import pydantic
        from gilscope.cli.profile import no_pydantic_plugins
        no_pydantic_plugins()
        from pydantic.plugin import _loader
        print(json.dumps({"real": hasattr(_loader, "PYDANTIC_ENTRY_POINT_GROUP"), "cache": _loader._plugins}))
        """
    )
    assert found == {"real": True, "cache": {}}
