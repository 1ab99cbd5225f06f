"""fastai's Pets data block on the whole sample, through loader worker processes (the notebook tests use none).

nbs/08b_vision_data tests each step quickly in the main process; here the same calls run as a fastai program makes them:
940 photos, the default batch of 64, workers that decode, collate and raise.
"""
from pathlib import Path

import pytest
import torch

from minifast.core import data_dir
from minifast.vision.augment import FlipItem, Normalize, Resize, imagenet_stats
from minifast.vision.core import PILImage, RandomSplitter, RegexLabeller, get_image_files, using_attr
from minifast.vision.data import CategoryBlock, DataBlock, ImageBlock

PATH = data_dir()/'oxford-pets-sample'/'images'


def pets_block(**kwargs):
    "fastai's Pets `DataBlock`, with the transforms given."
    return DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, splitter=RandomSplitter(seed=42),
                     get_y=using_attr(RegexLabeller(r'(.+)_\d+.jpg$'), 'name'), **kwargs)


def test_pets_loaders_with_workers():
    dls = pets_block(item_tfms=Resize(128), batch_tfms=Normalize(*imagenet_stats)).dataloaders(PATH, num_workers=2,
                                                                                                device='cpu')
    assert (dls.c, len(dls.train_ds), len(dls.valid_ds), dls.path) == (37, 752, 188, Path('.'))  # fastai's default
    x, y = dls.one_batch()
    assert (x.shape, y.shape) == ((64, 3, 128, 128), (64,))
    xv, yv = dls.valid.one_batch()
    x2, y2 = dls.test_dl(dls.valid_ds.items[:64], with_labels=True).one_batch()
    assert torch.equal(x2, xv) and torch.equal(y2, yv)  # validation's transforms, in order
    batches = list(dls.test_dl([PILImage.create(f) for f in dls.valid_ds.items[:70]]))  # open images, in workers
    assert [len(b) for b in batches] == [1, 1] and [len(b[0]) for b in batches] == [64, 6]


def test_photos_of_different_sizes_named_from_a_worker():
    dl = pets_block(item_tfms=FlipItem()).dataloaders(PATH, bs=8, num_workers=1, device='cpu').train
    with pytest.raises(ValueError, match=r'images of different sizes cannot make a batch: .*item_tfms=Resize\(224\)'):
        next(iter(dl))
