"The Learner on real photos: a few Oxford-IIIT Pet images, found through `data_dir()` (MINIFAST_DATA)."
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from minifast.all import DataLoaders, Learner, accuracy, data_dir


def pets_tensors(n_per_species=12, size=32):
    "Small RGB tensors of the first cats (capitalised names) and dogs of the sample, with species labels."
    files = sorted((data_dir()/'oxford-pets-sample'/'images').glob('*.jpg'))
    cats = [f for f in files if f.name[0].isupper()][:n_per_species]
    dogs = [f for f in files if f.name[0].islower()][:n_per_species]
    to_tensor = lambda f: (torch.from_numpy(np.array(Image.open(f).convert('RGB').resize((size, size))))
                           .permute(2, 0, 1).float() / 255)
    return torch.stack([to_tensor(f) for f in cats + dogs]), torch.tensor([0] * len(cats) + [1] * len(dogs))


def test_learner_fits_real_images():
    x, y = pets_tensors()
    assert x.shape == (24, 3, 32, 32)
    torch.manual_seed(0)
    batches = [(x[idx], y[idx]) for idx in torch.randperm(24).split(8)]
    learn = Learner(DataLoaders(batches, batches), nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 2)),
                    F.cross_entropy, lr=1e-3, metrics=accuracy)
    with learn.no_logging(): learn.fit(30)
    assert learn.recorder.values[-1][1] < learn.recorder.values[0][1] / 2
    assert learn.recorder.values[-1][2] == 1.0  # 24 photos, 3072 pixels each: the training set is learned by heart


def test_every_sample_photo_goes_through_the_pipeline():
    "All 940 photos (a GIF, a PNG with alpha, 133 to 1725 px, boxes float arithmetic puts at -1e-14) decode and crop."
    import random
    from minifast.vision.augment import RandomResizedCrop
    from minifast.vision.core import get_image_files, open_image
    from minifast.vision.data import image_to_tensor
    files = get_image_files(data_dir()/'oxford-pets-sample'/'images')
    assert len(files) == 940
    rrc = RandomResizedCrop(64, min_scale=0.35)
    for i, f in enumerate(files):
        for train in (True, False):
            x = image_to_tensor(rrc(open_image(f), random.Random(i), train))
            assert x.shape == (3, 64, 64) and x.dtype == torch.uint8, f
