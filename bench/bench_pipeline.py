"""How fast does minifast turn photos into 224x224 training batches? Against a fastai-equivalent pipeline, in one run.

presize: fastai's code through minifast, `item_tfms=Resize(460), batch_tfms=[*aug_transforms(size=224, min_scale=0.75),
Normalize.from_stats(*imagenet_stats)]`; `presize` fuses the Resize crop, flip, rotation, zoom, warp and the random crop
into one perspective matrix per item, applied by one OpenCV warp on a draft-mode decode; uint8 collation, then float
conversion, fastai's lighting (logit space) and normalisation per batch. Each worker keeps the photos it decoded
(`cache_mb`, 1 GB per loader by default; the sample's training photos take 423 MB), so after the warm-up epoch it skips
their JPEG decode. "presize, nothing kept" is the same with `cache_mb=0`: every photo decoded every epoch.
rrc: minifast's RandomResizedCrop(224, min_scale=0.35) + FlipItem in one PIL resize per item (draft-mode decode sized
for the crop), then colour jitter and normalisation per batch: the cheaper augmentation minifast had before presize.
fastai-like (what `Resize(460)` + `aug_transforms(size=224, min_scale=0.75)` do, built from the same libraries, no
fastai): full PIL decode, a random square crop resized to 460x460 per item, uint8 collation, then per batch one
`grid_sample` that applies a random flip, rotation, zoom and a random crop to 224, brightness/contrast, normalisation
(lighter than fastai itself: no warp, additive lighting, one grid_sample where fastai runs two when min_scale < 1).

All read the same Oxford-IIIT Pets training images through torch DataLoaders with the same batch size and number of
workers; rounds rotate which goes first; a warm-up epoch first. Reported: images per second, the ratios
presize/fastai-like, presize/rrc and (presize, nothing kept)/fastai-like (medians of paired rounds). With --model, also
the training step time of EfficientNet-Lite0 (body frozen, BatchNorm statistics kept, as in the demo's first phase)
against the time each loader adds when it feeds that step (each fed epoch between two in-memory measurements of the
step, compared with their mean; the median of --model-rounds rounds): does data loading keep up?

    python bench/bench_pipeline.py [--rounds 5] [--workers N] [--model [--model-rounds 3]]
    python bench/bench_pipeline.py --quick      # a smoke run
"""
import argparse, math, random, statistics, time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from minifast.all import (ColorJitter, DataBlock, FlipItem, Normalize, RandomResizedCrop, RandomSplitter, RegexLabeller,
                          Resize, aug_transforms, data_dir, default_workers, get_image_files, imagenet_stats,
                          keep_memory, presize, using_attr)

LABEL = using_attr(RegexLabeller(r'^(.+)_\d+\.jpg$'), 'name')


def minifast_loader(files, bs, workers, item_tfms, batch_tfms, cache_mb=1024):
    "The training loader of a DataBlock over `files` with these transforms, `aug_transforms` fused by `presize`."
    item_tfms, batch_tfms = presize(item_tfms, batch_tfms)  # what DataBlock.dataloaders does; a no-op if done twice
    block = DataBlock(get_items=lambda _: files, get_y=LABEL, splitter=RandomSplitter(0.2, seed=42),
                      item_tfms=item_tfms, batch_tfms=batch_tfms)
    return block.dataloaders(None, bs=bs, num_workers=workers, device='cpu', cache_mb=cache_mb).train


def presize_loader(files, bs, workers, cache_mb=1024):
    "fastai's program: Resize(460) and aug_transforms(size=224, min_scale=0.75), through minifast."
    return minifast_loader(files, bs, workers, Resize(460),
                           [*aug_transforms(size=224, min_scale=0.75), Normalize.from_stats(*imagenet_stats)], cache_mb)


def rrc_loader(files, bs, workers):
    "minifast's RandomResizedCrop pipeline, as before presize."
    return minifast_loader(files, bs, workers, [RandomResizedCrop(224, min_scale=0.35), FlipItem()],
                           [ColorJitter(0.2, 0.2), Normalize(*imagenet_stats)])


class FullDecodeResize460(Dataset):
    "fastai's item step: the whole JPEG decoded, a random square crop (Resize's training crop) resized to 460x460."
    def __init__(self, files, labels): self.files, self.labels = files, labels
    def __len__(self): return len(self.files)
    def __getitem__(self, i):
        im = Image.open(self.files[i]).convert('RGB')
        w, h = im.size
        side = min(w, h)
        x, y = random.uniform(0, w - side), random.uniform(0, h - side)
        im = im.resize((460, 460), Image.BILINEAR, box=(x, y, x + side, y + side))
        return torch.from_numpy(np.array(im)).permute(2, 0, 1), self.labels[i]


def affine_batch(x, size=224, min_scale=0.75, max_rotate=10., max_zoom=1.1, brightness=0.2, contrast=0.2):
    "fastai's aug_transforms on a batch: one grid_sample (flip, rotation, zoom, random crop to `size`), then lighting."
    n = x.shape[0]
    x = x.float().div_(255)
    angle = (torch.rand(n) * 2 - 1) * math.radians(max_rotate)
    scale = torch.sqrt(torch.empty(n).uniform_(min_scale, 1)) / torch.empty(n).uniform_(1, max_zoom)
    flip = torch.where(torch.rand(n) < 0.5, -1., 1.)
    cx, cy = (torch.rand(n) * 2 - 1) * (1 - scale), (torch.rand(n) * 2 - 1) * (1 - scale)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos * flip, -sin, cx], 1), torch.stack([sin * flip, cos, cy], 1)], 1)
    grid = F.affine_grid(theta, (n, 3, size, size), align_corners=False)
    x = F.grid_sample(x, grid, mode='bilinear', padding_mode='reflection', align_corners=False)
    mean = x.mean((1, 2, 3), keepdim=True)
    x = ((x - mean) * (1 + (torch.rand(n, 1, 1, 1) * 2 - 1) * contrast) + mean
         + (torch.rand(n, 1, 1, 1) * 2 - 1) * brightness)
    m, s = (torch.tensor(v).view(1, 3, 1, 1) for v in imagenet_stats)
    return (x.clamp(0, 1) - m) / s, None


class FastaiLikeLoader:
    def __init__(self, files, labels, bs, workers):
        self.dl = DataLoader(FullDecodeResize460(files, labels), bs, shuffle=True, drop_last=True, num_workers=workers,
                             persistent_workers=workers > 0)
    def __len__(self): return len(self.dl)
    def __iter__(self):
        for xb, yb in self.dl: yield affine_batch(xb)[0], yb


def epoch_time(dl, step=None):
    "Seconds to run through `dl` once (calling `step` on each batch) and the number of images."
    start, n = time.perf_counter(), 0
    for xb, yb in dl:
        assert xb.shape[1:] == (3, 224, 224) and xb.dtype == torch.float32
        if step is not None: step(xb, yb)
        n += len(xb)
    return time.perf_counter() - start, n


def in_turn(names, r):
    "`names` rotated so that round `r` starts with a different one: each goes first in turn."
    return names[r % len(names):] + names[:r % len(names)]


def frozen_step(bs):
    "A training step of EfficientNet-Lite0, body frozen and a new linear head training: the work fine_tune starts with."
    from minifast.vision.models import efficientnet_lite0
    model = efficientnet_lite0(pretrained=False, n_out=37)
    body, head = model[0].eval(), model[1]  # a frozen body with its BatchNorm statistics kept, as the demo trains it
    for p in body.parameters(): p.requires_grad_(False)
    opt = torch.optim.AdamW(head.parameters(), 1e-3)
    def step(xb, yb):
        with torch.no_grad(): feats = body(xb)
        loss = F.cross_entropy(head(feats), yb)
        loss.backward(); opt.step(); opt.zero_grad()
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--bs', type=int, default=32)
    parser.add_argument('--workers', type=int, default=default_workers())
    parser.add_argument('--model', action='store_true',
                        help='also compare the loaders with a frozen-body training step')
    parser.add_argument('--model-rounds', type=int, default=3, help='rounds of the --model comparison')
    parser.add_argument('--quick', action='store_true', help='a smoke run: 64 images, one round')
    args = parser.parse_args()
    keep_memory()  # as the demo does
    files = get_image_files(data_dir()/'oxford-pets-sample'/'images')
    if args.quick: args.rounds, args.model_rounds, files = 1, 1, files[:80]
    ours = presize_loader(files, args.bs, args.workers)
    theirs = FastaiLikeLoader(ours.ds.items, ours.ds.labels, args.bs, args.workers)
    loaders = {'presize': ours, 'presize, nothing kept': presize_loader(files, args.bs, args.workers, cache_mb=0),
               'rrc': rrc_loader(files, args.bs, args.workers), 'fastai-like': theirs}
    assert loaders['rrc'].ds.items == ours.ds.items  # the same training images
    for dl in loaders.values(): epoch_time(dl)  # warm up: worker start, file cache
    times = {k: [] for k in loaders}
    names = list(loaders)
    for r in range(args.rounds):
        for k in in_turn(names, r):
            secs, n = epoch_time(loaders[k])
            times[k].append(secs / n)
    rate = {k: 1 / statistics.median(v) for k, v in times.items()}
    def ratio(other, ours='presize'): return statistics.median(o / p for p, o in zip(times[ours], times[other]))
    print(f'{len(ours.ds)} Pets training images -> 224x224 training batches of {args.bs}, {args.workers} workers, '
          f'{args.rounds} rounds: ' + ', '.join(f'{k} {v:.0f} images/s' for k, v in rate.items()) +
          f'; presize/fastai-like: median {ratio("fastai-like"):.2f}x, presize/rrc: median {ratio("rrc"):.2f}x'
          f', presize, nothing kept/fastai-like: median {ratio("fastai-like", "presize, nothing kept"):.2f}x')
    if args.model:
        torch.manual_seed(0)
        step = frozen_step(args.bs)
        xb, yb = next(iter(ours))
        for _ in range(3): step(xb, yb)
        def in_memory(n=8):
            "Seconds per step on the batch already in memory, over `n` steps."
            start = time.perf_counter()
            for _ in range(n): step(xb, yb)
            return (time.perf_counter() - start) / n
        print(f'EfficientNet-Lite0 frozen-body step, batch {args.bs}; each loader\'s epoch between two in-memory '
              'measurements, its overhead against their mean (the step\'s own time drifts on a shared machine); '
              f'{args.model_rounds} rounds, the median')
        overheads = {k: [] for k in loaders}
        for r in range(args.model_rounds):
            for k in in_turn(names, r):
                before = in_memory()
                secs, n = epoch_time(loaders[k], step)
                overheads[k].append(secs / len(loaders[k]) / ((before + in_memory()) / 2) - 1)
        for k, v in overheads.items():
            print(f'  fed by {k}: loading adds {100 * statistics.median(v):+.0f}% to the step '
                  f'(rounds: {", ".join(f"{100 * o:+.0f}%" for o in v)})')

if __name__ == '__main__':
    main()
