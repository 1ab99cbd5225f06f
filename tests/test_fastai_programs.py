"""fastai's own Pets programs run on minifast with two lines changed: the import and the data path.

Each program below is fastai's, as its documentation and book write it (chapters 1, 2, 5 and 6 of "Deep Learning for
Coders", and the learning-rate tutorial), with only the lines marked `# was:` changed. It runs as a user's script in a
fresh process through `from minifast.vision.all import *`, on a folder of Oxford-IIIT Pets photos from the sample (a few
photos of two breeds, so that lr_find's 100 iterations and the fits, each a batch of 8 photos at 224 px through the
whole network (fastai's `train_bn=True` trains the BatchNorm layers of the frozen body), take a minute on a CPU). They
run in the user environment only (mark `user_env`): what a user installs is what they check. `resnet34` is replaced by
`efficientnet_lite0` because no ResNet ImageNet weights can be downloaded here (the ResNets load torchvision's file,
tested in nbs/09_models on a local server).
"""
import shutil

import pytest

from conftest import run_python
from minifast.core import data_dir

FIRST = r'''
import sys
from minifast.vision.all import *                 # was: from fastai.vision.all import *
path = Path(sys.argv[1])                          # was: path = untar_data(URLs.PETS)/'images'
pets = DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, splitter=RandomSplitter(seed=42),
                 get_y=using_attr(RegexLabeller(r'(.+)_\d+.jpg$'), 'name'),
                 item_tfms=Resize(460), batch_tfms=aug_transforms(size=224, min_scale=0.75))
dls = pets.dataloaders(path)
learn = cnn_learner(dls, efficientnet_lite0, metrics=accuracy)   # was: resnet34
learn.lr_find()
learn.fit_one_cycle(5, lr_max=0.01)
print('accuracy', learn.recorder.values[-1][2])
'''

LONGER = r'''
import sys
from minifast.vision.all import *                 # was: from fastai.vision.all import *
path = Path(sys.argv[1])                          # was: path = untar_data(URLs.PETS)/'images'
fnames = get_image_files(path)
pets = DataBlock(blocks=(ImageBlock, CategoryBlock),
                 get_items=get_image_files,
                 splitter=RandomSplitter(seed=42),
                 get_y=using_attr(RegexLabeller(r'(.+)_\d+.jpg$'), 'name'),
                 item_tfms=Resize(460),
                 batch_tfms=aug_transforms(size=224, min_scale=0.75))
pets.summary(path)
dls = pets.dataloaders(path)
dls.show_batch(nrows=1, ncols=3)
print(dls.vocab, dls.c, len(dls.train_ds), len(dls.valid_ds))
x, y = dls.one_batch()
learn = vision_learner(dls, efficientnet_lite0, metrics=error_rate)   # was: resnet34
lr_min, lr_steep = learn.lr_find(suggest_funcs=(minimum, steep))
print(f"Minimum/10: {lr_min:.2e}, steepest point: {lr_steep:.2e}")
learn.fine_tune(1, base_lr=3e-3)
learn.fit_one_cycle(1, 3e-3)
learn.unfreeze()
learn.fit_one_cycle(1, lr_max=slice(1e-6, 1e-4))
learn.recorder.plot_loss()
learn = vision_learner(dls, efficientnet_lite0, metrics=error_rate).to_fp16()   # was: resnet50
learn.fine_tune(1, freeze_epochs=1)
interp = ClassificationInterpretation.from_learner(learn)
interp.plot_confusion_matrix(figsize=(12, 12), dpi=60)
print(interp.most_confused(min_val=1))
preds, targs = learn.get_preds(dl=[(x, y)])
assert preds.shape == (len(x), dls.c)
learn.export()
path = Path()
print(path.ls(file_exts='.pkl'))
learn_inf = load_learner(path/'export.pkl')
pred, pred_idx, probs = learn_inf.predict(fnames[0])
print(f'Prediction: {pred}; Probability: {probs[pred_idx]:.04f}')
assert pred == learn_inf.dls.vocab[pred_idx] and abs(float(probs.sum()) - 1) < 1e-5
print('ok')
'''

BREEDS = ('Abyssinian', 'pug')


pytestmark = pytest.mark.user_env


@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    "A folder of 5 photos of each of two breeds of the sample, as fastai's `untar_data` would give its images/."
    folder = tmp_path_factory.mktemp('pets')/'images'
    folder.mkdir()
    for breed in BREEDS:
        for f in sorted((data_dir()/'oxford-pets-sample'/'images').glob(f'{breed}_*.jpg'))[:5]:
            shutil.copy(f, folder/f.name)
    return folder


def _run(program, photos, tmp_path):
    script = tmp_path/'program.py'
    script.write_text(program)
    proc = run_python(script, photos, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_first_program(photos, tmp_path):
    out = _run(FIRST, photos, tmp_path)
    assert 0 <= float(out.strip().splitlines()[-1].split()[-1]) <= 1


def test_longer_program_uses_every_name(photos, tmp_path):
    out = _run(LONGER, photos, tmp_path)
    assert out.strip().splitlines()[-1] == 'ok', out
    assert "[Path('export.pkl')]" in out and 'Prediction: ' in out and 'Minimum/10: ' in out
