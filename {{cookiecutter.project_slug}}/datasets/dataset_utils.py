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

# Each name imported "as" itself: re-exported for dataset modules (the form linters read as a re-export).
from datasets.converted import DatasetWriter as DatasetWriter
from datasets.converted import already_converted as already_converted
from datasets.converted import read_dataset_info as read_dataset_info
from datasets.converted import read_label_file as read_label_file
from datasets.converted import read_split as read_split
from datasets.converted import write_label_file as write_label_file
from datasets.example_codec import bytes_feature as bytes_feature
from datasets.example_codec import decode_image as decode_image
from datasets.example_codec import float_feature as float_feature
from datasets.example_codec import image_decoder as image_decoder
from datasets.example_codec import image_to_tfexample as image_to_tfexample
from datasets.example_codec import int64_feature as int64_feature
from datasets.splits import DatasetError as DatasetError
from datasets.splits import DatasetSplit as DatasetSplit
