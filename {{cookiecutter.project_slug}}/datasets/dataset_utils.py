"""The helpers a dataset module uses, under the name TF-Slim gave their home.

Each lives in a module of its own; this one gathers them for your dataset
modules (``from datasets import dataset_utils``):

* the split contract (``splits.py``): ``DatasetSplit``, ``DatasetError``;
* tf.train.Example records (``example_codec.py``): ``image_to_tfexample``,
  ``int64_feature``, ``bytes_feature``, ``float_feature``, ``image_decoder``,
  ``decode_image``;
* the converted-dataset format (``converted.py``): ``DatasetWriter`` (shards,
  then ``labels.txt``, then ``dataset_info.json``), ``already_converted``,
  ``read_split``, ``write_label_file``, ``read_label_file``.
"""

from __future__ import annotations

from datasets.converted import (
    DatasetWriter,
    already_converted,
    read_dataset_info,
    read_label_file,
    read_split,
    write_label_file,
)
from datasets.example_codec import (
    bytes_feature,
    decode_image,
    float_feature,
    image_decoder,
    image_to_tfexample,
    int64_feature,
)
from datasets.splits import DatasetError, DatasetSplit

__all__ = [
    "DatasetError",
    "DatasetSplit",
    "DatasetWriter",
    "already_converted",
    "bytes_feature",
    "decode_image",
    "float_feature",
    "image_decoder",
    "image_to_tfexample",
    "int64_feature",
    "read_dataset_info",
    "read_label_file",
    "read_split",
    "write_label_file",
]
