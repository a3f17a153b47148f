import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def dataset():
    """The committed dataset, loaded the way users load it."""
    from datasets import load_dataset

    from edgejson_dataset.build import DATASET_DIR

    return load_dataset(str(DATASET_DIR))
