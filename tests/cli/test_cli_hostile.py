"""Every hostile input a clear error, one JSON object, nothing written or changed.

The case table (issue 9 item 5): each row is a command line run in a folder holding the
file zoo of :mod:`cli_zoo` (good inputs and every malformed, truncated, bit-flipped,
forged or hostile variant of each kind of file lptrain reads), with its exit code, error
class and exact message. For every row, with ``--json``: exactly one JSON object on stdout,
valid against the command's schema, no traceback; without ``--json``: the same message on
stderr as ``lptrain COMMAND: error: MESSAGE``, nothing on stdout; and in both cases the
folder byte for byte as it was (nothing written, half-written, or overwritten).
"""

from __future__ import annotations

import importlib.util
import os
import shlex

import pytest
from cli_zoo import make_files, run_cli, snapshot

import lptrain.cli._common as cli_common
from lptrain.cli import main

# (id, command line, exit code, error class, exact message)
CASES = [
    ('usage-no-command', '--json',
     2, 'UsageError', 'unrecognized arguments: --json (see lptrain --help)'),
    ('usage-unknown-command', 'frobnicate --json',
     2, 'UsageError',
     "argument COMMAND: invalid choice: 'frobnicate' (choose from 'demo', 'train', 'predict', "
     "'certify', 'build', 'bounds', 'bnn', 'achievable', 'structure', 'bo') (see lptrain "
     '--help)'),
    ('usage-unknown-option', 'train ok.csv --arch 2-1 --loss abs --bits 2 --frobnicate',
     2, 'UsageError', 'unrecognized arguments: --frobnicate (see lptrain train --help)'),
    ('usage-train-missing-arch', 'train ok.csv --loss abs --bits 2',
     2, 'UsageError', 'the following arguments are required: --arch (see lptrain train --help)'),
    ('usage-train-missing-loss', 'train ok.csv --arch 2-1 --bits 2',
     2, 'UsageError', 'the following arguments are required: --loss (see lptrain train --help)'),
    ('usage-train-missing-data', 'train --arch 2-1 --loss abs --bits 2',
     2, 'UsageError', 'the following arguments are required: DATA.csv (see lptrain train --help)'),
    ('usage-bits-not-int', 'train ok.csv --arch 2-1 --loss abs --bits x',
     2, 'UsageError',
     "argument --bits: expected an integer in [1, 30]; got 'x' (see lptrain train --help)"),
    ('usage-bits-float', 'train ok.csv --arch 2-1 --loss abs --bits 2.5',
     2, 'UsageError',
     "argument --bits: expected an integer in [1, 30]; got '2.5' (see lptrain train --help)"),
    ('usage-bits-and-eps', 'train ok.csv --arch 2-1 --loss abs --bits 2 --eps 1',
     2, 'UsageError',
     'argument --eps: not allowed with argument --bits (see lptrain train --help)'),
    ('usage-eps-nan', 'train ok.csv --arch 2-1 --loss abs --eps nan',
     2, 'UsageError',
     "argument --eps: expected a finite number; got 'nan' (see lptrain train --help)"),
    ('usage-eps-inf', 'train ok.csv --arch 2-1 --loss abs --eps inf',
     2, 'UsageError',
     "argument --eps: expected a finite number; got 'inf' (see lptrain train --help)"),
    ('usage-eps-zero', 'train ok.csv --arch 2-1 --loss abs --eps 0',
     2, 'UsageError', "argument --eps: expected a number > 0; got '0' (see lptrain train --help)"),
    ('usage-eps-negative', 'train ok.csv --arch 2-1 --loss abs --eps -1',
     2, 'UsageError', "argument --eps: expected a number > 0; got '-1' (see lptrain train --help)"),
    ('usage-eps-text', 'train ok.csv --arch 2-1 --loss abs --eps lots',
     2, 'UsageError', "argument --eps: expected a number; got 'lots' (see lptrain train --help)"),
    ('usage-gap-nan', 'train ok.csv --arch 2-1 --loss abs --bits 2 --gap nan',
     2, 'UsageError',
     "argument --gap: expected a finite number; got 'nan' (see lptrain train --help)"),
    ('usage-gap-negative', 'train ok.csv --arch 2-1 --loss abs --bits 2 --gap -0.1',
     2, 'UsageError',
     "argument --gap: expected a number > 0; got '-0.1' (see lptrain train --help)"),
    ('usage-gap-zero', 'train ok.csv --arch 2-1 --loss abs --bits 2 --gap 0',
     2, 'UsageError', "argument --gap: expected a number > 0; got '0' (see lptrain train --help)"),
    ('usage-gap-inf', 'train ok.csv --arch 2-1 --loss abs --bits 2 --gap inf',
     2, 'UsageError',
     "argument --gap: expected a finite number; got 'inf' (see lptrain train --help)"),
    ('usage-time-limit-nan', 'train ok.csv --arch 2-1 --loss abs --bits 2 --time-limit nan',
     2, 'UsageError',
     "argument --time-limit: expected a finite number; got 'nan' (see lptrain train --help)"),
    ('usage-time-limit-negative', 'train ok.csv --arch 2-1 --loss abs --bits 2 --time-limit -5',
     2, 'UsageError',
     "argument --time-limit: expected a number > 0; got '-5' (see lptrain train --help)"),
    ('usage-time-limit-zero', 'train ok.csv --arch 2-1 --loss abs --bits 2 --time-limit 0',
     2, 'UsageError',
     "argument --time-limit: expected a number > 0; got '0' (see lptrain train --help)"),
    ('usage-solver-choice', 'train ok.csv --arch 2-1 --loss abs --bits 2 --solver magic',
     2, 'UsageError',
     "argument --solver: invalid choice: 'magic' (choose from 'highs', 'structured', 'lazy') "
     '(see lptrain train --help)'),
    ('usage-lipschitz-choice', 'train ok.csv --arch 2-1 --loss abs --bits 2 --lipschitz best',
     2, 'UsageError',
     "argument --lipschitz: invalid choice: 'best' (choose from 'paper', 'refined') (see "
     'lptrain train --help)'),
    ('usage-header-choice', 'train ok.csv --arch 2-1 --loss abs --bits 2 --header maybe',
     2, 'UsageError',
     "argument --header: invalid choice: 'maybe' (choose from 'auto', 'yes', 'no') (see "
     'lptrain train --help)'),
    ('usage-targets-not-int', 'train ok.csv --arch 2-1 --loss abs --bits 2 --targets two',
     2, 'UsageError',
     "argument --targets: expected an integer >= 1; got 'two' (see lptrain train --help)"),
    ('usage-predict-missing-data', 'predict model.json',
     2, 'UsageError',
     'the following arguments are required: DATA.csv (see lptrain predict --help)'),
    ('usage-certify-gap-nan', 'certify model.json ok.csv --gap nan',
     2, 'UsageError',
     "argument --gap: expected a finite number; got 'nan' (see lptrain certify --help)"),
    ('usage-certify-time-limit-negative', 'certify model.json ok.csv --time-limit -1',
     2, 'UsageError',
     "argument --time-limit: expected a number > 0; got '-1' (see lptrain certify --help)"),
    ('usage-build-samples-missing', 'build --arch 2-1 --loss abs --bits 2',
     2, 'UsageError',
     'the following arguments are required: --samples/-D (see lptrain build --help)'),
    ('usage-build-samples-text', 'build --arch 2-1 --loss abs --bits 2 -D many',
     2, 'UsageError',
     "argument --samples/-D: expected an integer >= 1; got 'many' (see lptrain build --help)"),
    ('usage-build-backend-choice', 'build --arch 2-1 --loss abs --bits 2 -D 3 --backend gpu',
     2, 'UsageError',
     "argument --backend: invalid choice: 'gpu' (choose from 'auto', 'numba', 'numpy') (see "
     'lptrain build --help)'),
    ('usage-build-no-grid', 'build --arch 2-1 --loss abs -D 3',
     2, 'UsageError', 'one of the arguments --bits --eps is required (see lptrain build --help)'),
    ('usage-bounds-no-grid', 'bounds --arch 2-1 --loss abs -D 3',
     2, 'UsageError', 'one of the arguments --eps --bits is required (see lptrain bounds --help)'),
    ('usage-bounds-alpha-text', 'bounds --arch 2-1 --loss abs -D 3 --bits 2 --alpha x',
     2, 'UsageError', "argument --alpha: invalid float value: 'x' (see lptrain bounds --help)"),
    ('usage-bounds-method-choice', 'bounds --arch 2-1 --loss abs -D 3 --bits 2 --method best',
     2, 'UsageError',
     "argument --method: invalid choice: 'best' (choose from 'paper', 'refined') (see lptrain "
     'bounds --help)'),
    ('usage-bnn-solver-choice', 'bnn bin01.csv --arch 2-1 --solver magic',
     2, 'UsageError',
     "argument --solver: invalid choice: 'magic' (choose from 'lp', 'mip', 'exhaustive') (see "
     'lptrain bnn --help)'),
    ('usage-bnn-time-limit-negative', 'bnn bin01.csv --arch 2-1 --time-limit -1',
     2, 'UsageError',
     "argument --time-limit: expected a number > 0; got '-1' (see lptrain bnn --help)"),
    ('usage-achievable-no-target', 'achievable one.csv --arch 1-1 --loss abs --bits 2',
     2, 'UsageError',
     'one of the arguments --target-loss --target-vector is required (see lptrain achievable '
     '--help)'),
    ('usage-achievable-both-targets',
     'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-loss 0.1 --target-vector tv.txt',
     2, 'UsageError',
     'argument --target-vector: not allowed with argument --target-loss (see lptrain '
     'achievable --help)'),
    ('usage-achievable-target-loss-nan',
     'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-loss nan',
     2, 'UsageError',
     "argument --target-loss: expected a finite number; got 'nan' (see lptrain achievable "
     '--help)'),
    ('usage-achievable-points-choice',
     'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-loss 0.1 --points all',
     2, 'UsageError',
     "argument --points: invalid choice: 'all' (choose from 'data', 'grid') (see lptrain "
     'achievable --help)'),
    ('usage-structure-bits-missing', 'structure --arch 2-1 -D 2',
     2, 'UsageError',
     'the following arguments are required: --bits (see lptrain structure --help)'),
    ('usage-bo-instance-choice', 'bo --instance magic',
     2, 'UsageError',
     "argument --instance: invalid choice: 'magic' (choose from 'maxcut-path', 'maxcut-cycle', "
     "'maxcut-grid', 'maxcut-ktree', 'mwis-path', 'mwis-cycle', 'mwis-grid', 'mwis-ktree') "
     '(see lptrain bo --help)'),
    ('usage-bo-method-choice', 'bo --method magic',
     2, 'UsageError',
     "argument --method: invalid choice: 'magic' (choose from 'lp', 'dp') (see lptrain bo "
     '--help)'),
    ('usage-bo-seed-text', 'bo --seed x',
     2, 'UsageError', "argument --seed: invalid int value: 'x' (see lptrain bo --help)"),
    ('usage-bo-time-limit-negative', 'bo --time-limit -1',
     2, 'UsageError',
     "argument --time-limit: expected a number > 0; got '-1' (see lptrain bo --help)"),
    ('usage-demo-bits-text', 'demo --bits x',
     2, 'UsageError',
     "argument --bits: expected an integer in [1, 30]; got 'x' (see lptrain demo --help)"),
    ('usage-demo-gap-negative', 'demo --gap -1',
     2, 'UsageError', "argument --gap: expected a number > 0; got '-1' (see lptrain demo --help)"),
    ('value-bits-zero', 'train ok.csv --arch 2-1 --loss abs --bits 0',
     2, 'UsageError',
     "argument --bits: expected an integer in [1, 30]; got '0' (see lptrain train --help)"),
    ('value-bits-31', 'train ok.csv --arch 2-1 --loss abs --bits 31',
     2, 'UsageError',
     "argument --bits: expected an integer in [1, 30]; got '31' (see lptrain train --help)"),
    ('value-bits-negative', 'train ok.csv --arch 2-1 --loss abs --bits -3',
     2, 'UsageError',
     "argument --bits: expected an integer in [1, 30]; got '-3' (see lptrain train --help)"),
    ('value-eps-too-small', 'train ok.csv --arch 2-1 --loss abs --eps 1e-300',
     1, 'InvalidInputError',
     'eps=1e-300 implies bits=1002 (2L/eps = 2.4e+301 with L=12); bits must be in [1, 30]: '
     'choose a larger eps'),
    ('value-no-grid', 'train ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     'give the grid: --bits B or --eps E (§3.1), or --polytope FILE written by lptrain build'),
    ('value-loss-unknown', 'train ok.csv --arch 2-1 --loss nope --bits 2',
     1, 'InvalidInputError',
     "loss must be one of abs, quadratic, hinge, cross_entropy, hamming, huber; got 'nope'"),
    ('value-activation-unknown', 'train ok.csv --arch 2-1 --loss abs --bits 2 --activation foo',
     1, 'InvalidInputError',
     'activation must be one of relu, leaky_relu, tanh, hard_tanh, elu, identity, step, '
     "softplus; got 'foo'"),
    ('value-activation-slope-nan',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --activation leaky_relu:nan',
     1, 'InvalidInputError',
     'leaky_relu slope must lie in [0, 1] (1-Lipschitz, monotone); got nan'),
    ('value-activation-elu-alpha',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --activation elu:5',
     1, 'InvalidInputError',
     'elu alpha must lie in (0, 1]: with alpha > 1 ELU is not 1-Lipschitz (Lemma 4.5); got 5.0'),
    ('value-regularizer-kind', 'train ok.csv --arch 2-1 --loss abs --bits 2 --regularizer l3:1',
     1, 'InvalidInputError',
     "regularizer must look like 'l1:0.01' or 'l2:0.5' (kind:lambda); got 'l3:1'"),
    ('value-regularizer-nan', 'train ok.csv --arch 2-1 --loss abs --bits 2 --regularizer l1:nan',
     1, 'InvalidInputError', 'regularizer weight lambda must be a finite number >= 0; got nan'),
    ('value-regularizer-negative',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --regularizer l1:-1',
     1, 'InvalidInputError', 'regularizer weight lambda must be a finite number >= 0; got -1.0'),
    ('value-regularizer-text', 'train ok.csv --arch 2-1 --loss abs --bits 2 --regularizer strong',
     1, 'InvalidInputError',
     "regularizer must look like 'l1:0.01' or 'l2:0.5' (kind:lambda); got 'strong'"),
    ('value-max-memory-text', 'train ok.csv --arch 2-1 --loss abs --bits 2 --max-memory lots',
     1, 'InvalidInputError', "max memory must look like 4GiB, 512MB or 1e9 (bytes); got 'lots'"),
    ('value-max-memory-zero', 'train ok.csv --arch 2-1 --loss abs --bits 2 --max-memory 0',
     1, 'InvalidInputError', "max memory must be a positive size; got '0'"),
    ('value-max-memory-negative', 'train ok.csv --arch 2-1 --loss abs --bits 2 --max-memory -1GiB',
     2, 'UsageError', 'argument --max-memory: expected one argument (see lptrain train --help)'),
    ('value-max-memory-too-small',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --solver highs --max-memory 1KiB',
     1, 'TooLargeError',
     'this build needs 72.6 MiB (2.9e+04 nonzeros); the limit is 1.0 KiB: use fewer bits or '
     'samples, or raise max_memory (--max-memory)'),
    ('value-targets-zero', 'train ok.csv --arch 2-1 --loss abs --bits 2 --targets 0',
     2, 'UsageError',
     "argument --targets: expected an integer >= 1; got '0' (see lptrain train --help)"),
    ('value-targets-all', 'train ok.csv --arch 2-1 --loss abs --bits 2 --targets 3',
     1, 'InvalidInputError',
     "n_targets (--targets) must be an integer in [1, 2]: ok.csv has 3 columns ['a', 'b', 'y'] "
     'and needs at least one feature column; got 3'),
    ('value-target-unknown', 'train ok.csv --arch 2-1 --loss abs --bits 2 --target zz',
     1, 'InvalidInputError',
     "target 'zz' is not a column of ok.csv; its columns are ['a', 'b', 'y']"),
    ('value-target-index', 'train ok.csv --arch 2-1 --loss abs --bits 2 --target 7',
     1, 'InvalidInputError',
     "target '7' is not a column of ok.csv; its columns are ['a', 'b', 'y']"),
    ('value-target-twice', 'train ok.csv --arch 2-1 --loss abs --bits 2 --target y --target y',
     1, 'InvalidInputError',
     "target 'y' names column 'y' of ok.csv a second time; name each target column once"),
    ('value-target-name-and-index',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --target y --target 2',
     1, 'InvalidInputError',
     "target '2' names column 'y' of ok.csv a second time; name each target column once"),
    ('value-hinge-three-classes', 'train ok.csv --arch 2-1 --loss hinge --bits 2',
     1, 'InvalidInputError',
     'y has 3 classes [-0.4, 0.1, 0.3]; the hinge loss with one output needs exactly 2 (use a '
     'network with one output per class)'),
    ('value-cross-entropy-one-output', 'train labels.csv --arch 2-1 --loss cross_entropy --bits 2',
     1, 'InvalidInputError',
     'cross_entropy needs one network output per class (m = number of classes); the network '
     'has m=1 and y has 2 classes'),
    ('value-abs-on-labels', 'train labels.csv --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError',
     "labels.csv: the target column ['label'] holds class labels ('no', ...) but the loss abs "
     'needs numbers; use --loss hinge or cross_entropy for classification, or pick the numeric '
     'target with --target'),
    ('value-columns-vs-inputs', 'train ok.csv --arch 3-1 --loss abs --bits 2',
     1, 'InvalidInputError', 'X has 2 columns but the network has 3 inputs (n=3)'),
    ('value-scheduler-without-gap',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --scheduler tcp://127.0.0.1:8786',
     1, 'InvalidInputError',
     '--scheduler is used only with --gap or --solver lazy; drop it or add one'),
    ('value-scheduler-syntax',
     "train ok.csv --arch 2-1 --loss abs --bits 2 --gap 0.5 --scheduler 'bad address'",
     1, 'InvalidInputError',
     "--scheduler 'bad address' is not a Dask scheduler address (it has no host:port); give "
     'one like tcp://10.0.0.5:8786'),
    ('value-scheduler-no-port',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --gap 0.5 --scheduler tcp://localhost',
     1, 'InvalidInputError',
     "--scheduler 'tcp://localhost' is not a Dask scheduler address (it has no host:port); "
     'give one like tcp://10.0.0.5:8786'),
    ('value-scheduler-unreachable',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --gap 0.5 --scheduler tcp://127.0.0.1:9',
     1, 'InvalidInputError',
     '--scheduler tcp://127.0.0.1:9: cannot connect to a Dask scheduler there (Timed out '
     'trying to connect to tcp://127.0.0.1:9 after 1 s); is it running?'),
    ('value-certify-scheduler-syntax', 'certify model.json ok.csv --scheduler nowhere',
     1, 'InvalidInputError',
     "--scheduler 'nowhere' is not a Dask scheduler address (it has no host:port); give one "
     'like tcp://10.0.0.5:8786'),
    ('value-certify-loss-without-arch', 'certify model.json ok.csv --loss abs',
     1, 'InvalidInputError',
     '--loss is for foreign weights (with --arch); a model file carries its own loss and '
     'scaling'),
    ('value-certify-scale-with-model', 'certify model.json ok.csv --scale',
     1, 'InvalidInputError',
     '--scale is for foreign weights (with --arch); a model file carries its own loss and '
     'scaling'),
    ('value-certify-arch-without-loss', 'certify w.npz ok.csv --arch 2-1',
     1, 'InvalidInputError', '--loss is required with --arch (foreign weights)'),
    ('value-bounds-samples-zero', 'bounds --arch 2-1 --loss abs -D 0 --bits 2',
     2, 'UsageError',
     "argument --samples/-D: expected an integer >= 1; got '0' (see lptrain bounds --help)"),
    ('value-bounds-samples-negative', 'bounds --arch 2-1 --loss abs -D -4 --bits 2',
     2, 'UsageError',
     "argument --samples/-D: expected an integer >= 1; got '-4' (see lptrain bounds --help)"),
    ('value-bounds-alpha-2', 'bounds --arch 2-1 --loss abs -D 3 --bits 2 --alpha 2',
     1, 'InvalidInputError', 'alpha must be a finite number in (0, 1); got 2.0'),
    ('value-bounds-alpha-nan', 'bounds --arch 2-1 --loss abs -D 3 --bits 2 --alpha nan',
     1, 'InvalidInputError', 'alpha must be a finite number in (0, 1); got nan'),
    ('value-bounds-sigma2-negative',
     'bounds --arch 2-1 --loss abs -D 3 --bits 2 --alpha 0.1 --sigma2 -1',
     1, 'InvalidInputError', 'sigma2 must be a finite number in [0, inf); got -1.0'),
    ('value-bounds-sigma2-alone', 'bounds --arch 2-1 --loss abs -D 3 --bits 2 --sigma2 1',
     1, 'InvalidInputError',
     '--sigma2 needs --alpha (the generalization bound of Theorem 6.2); add e.g. --alpha 0.05'),
    ('value-bounds-points-zero', 'bounds --arch 2-1 --loss abs -D 3 --bits 2 --points 0',
     2, 'UsageError',
     "argument --points: expected an integer >= 1; got '0' (see lptrain bounds --help)"),
    ('value-bounds-step', 'bounds --arch 2-3-1 --loss abs -D 3 --bits 2 --activation step',
     1, 'OutsideTheoryError',
     "activation 'step' (node 2) is outside the Lipschitz theory of §4: Lemma 4.5 needs "
     '1-Lipschitz activations with a(0) = 0 (relu, leaky_relu, tanh, hard_tanh, elu with alpha '
     '<= 1, identity, softplus)'),
    ('value-bounds-hamming', 'bounds --arch 2-1 --loss hamming -D 3 --bits 2',
     1, 'OutsideTheoryError',
     "loss 'hamming' is outside the Lipschitz theory of §4 (it is not continuous); use abs, "
     'quadratic, hinge, cross_entropy or huber'),
    ('value-build-samples-zero', 'build --arch 2-1 --loss abs -D 0 --bits 2',
     2, 'UsageError',
     "argument --samples/-D: expected an integer >= 1; got '0' (see lptrain build --help)"),
    ('value-structure-samples-text', 'structure --arch 2-1 -D x --bits 2',
     1, 'InvalidInputError',
     '--samples must be a positive integer or a comma-separated list of them, e.g. 1,2,4; got '
     "'x'"),
    ('value-structure-samples-zero', 'structure --arch 2-1 -D 0,2 --bits 2',
     1, 'InvalidInputError',
     '--samples must be a positive integer or a comma-separated list of them, e.g. 1,2,4; got '
     "'0,2'"),
    ('value-structure-bits-40', 'structure --arch 2-1 -D 2 --bits 40',
     2, 'UsageError',
     "argument --bits: expected an integer in [1, 8]; got '40' (see lptrain structure --help)"),
    ('value-structure-arch-unknown', 'structure --arch magic -D 2 --bits 2',
     1, 'InvalidInputError', "--arch 'magic': expected layer widths separated by '-', e.g. 2-3-1"),
    ('size-bo-vertices', 'bo --instance mwis-path --size 100000000',
     1, 'TooLargeError',
     '--size 100000000: the path has 100,000,000 vertices; lptrain bo builds instances of up '
     'to 100,000'),
    ('size-bo-width', 'bo --instance maxcut-grid --size 40x40',
     1, 'TooLargeError',
     '--size 40x40: the grid has treewidth about 40, so the exact LP of Theorem 2.8 has about '
     '2^41 rows per bag; keep the width at most 16 (e.g. 3x40)'),
    ('value-bo-size-zero', 'bo --instance maxcut-grid --size 0x5',
     1, 'InvalidInputError', '--size 0x5: the grid has no vertices; give at least one'),
    ('size-structure-samples', 'structure --arch 2-1 -D 1,100000 --bits 1',
     1, 'TooLargeError',
     "--samples 100000: the node formulation's graph grows with D and its decomposition would "
     'take hours; use D <= 2000'),
    ('csv-structure-labels', 'structure --arch 2-1 -D 2 --bits 1 --data labels.csv',
     1, 'InvalidInputError', '--data labels.csv: the label columns must be numbers in [-1, 1]'),
    ('value-bo-size-text', 'bo --instance maxcut-grid --size 3xx',
     1, 'InvalidInputError', "size for a grid must look like RxC, e.g. 3x20; got '3xx'"),
    ('value-bo-size-path', 'bo --instance maxcut-path --size x',
     1, 'InvalidInputError', "size for a path must look like N, e.g. 300; got 'x'"),
    ('value-bnn-arch', 'bnn bin01.csv --arch 2-x-1',
     1, 'InvalidInputError',
     "--arch '2-x-1': a BiU network is given by its layer widths n-w1-...-m, e.g. 2-2-1"),
    ('value-bnn-targets', 'bnn bin01.csv --arch 2-1 --targets 2',
     1, 'InvalidInputError',
     "--targets 2 but the architecture '2-1' has m=1 outputs; they must agree"),
    ('value-bnn-columns', 'bnn bin01.csv --arch 3-1',
     1, 'InvalidInputError', "bin01.csv has 2 feature columns but --arch '3-1' has n=3 inputs"),
    ('value-bnn-not-binary', 'bnn notbin.csv --arch 2-1',
     1, 'InvalidInputError', "notbin.csv must be binary (0 or 1): data row 1, column 'b' is 2.0"),
    ('value-bnn-max-memory', 'bnn bin01.csv --arch 2-1 --max-memory lots',
     1, 'InvalidInputError', "max memory must look like 4GiB, 512MB or 1e9 (bytes); got 'lots'"),
    ('value-achievable-equal-alone',
     'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-loss 0.1 --equal',
     1, 'InvalidInputError', '--equal needs --target-vector (exact membership of a loss vector)'),
    ('value-achievable-labels',
     'achievable labels.csv --arch 2-1 --loss abs --bits 2 --target-loss 0.1',
     1, 'InvalidInputError', 'labels.csv: the label columns must be numbers in [-1, 1]'),
    ('value-achievable-vector-length',
     'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-vector tv_short.txt',
     1, 'InvalidInputError',
     'the target vector has 1 entries but the sample has D=2 data points (one target per data '
     'point)'),
    ('value-demo-bits-zero', 'demo --bits 0 --no-sgd --no-plot',
     2, 'UsageError',
     "argument --bits: expected an integer in [1, 30]; got '0' (see lptrain demo --help)"),
    ('arch-syntax', 'train ok.csv --arch 2--1 --loss abs --bits 2',
     1, 'InvalidInputError', "--arch '2--1': expected layer widths separated by '-', e.g. 2-3-1"),
    ('arch-zero-width', 'train ok.csv --arch 0-1 --loss abs --bits 2',
     1, 'InvalidInputError', "--arch '0-1': widths[0] must be a positive integer; got 0"),
    ('arch-single-width', 'train ok.csv --arch 2 --loss abs --bits 2',
     1, 'InvalidInputError', "--arch '2': expected layer widths separated by '-', e.g. 2-3-1"),
    ('arch-unknown-kind', 'train ok.csv --arch mlp:2-1 --loss abs --bits 2',
     1, 'InvalidInputError',
     "--arch 'mlp:2-1': unknown kind 'mlp'; expected one of: dense: widths n-w1-...-m (e.g. "
     '2-3-1); conv1d:[Cx]L-c<out>k<kernel>[s<stride>]-...-<dense widths> (e.g. '
     'conv1d:8-c2k3s2-1; 2x8 means C=2 channels of length 8); conv2d:HxW or CxHxW, same layer '
     'syntax (e.g. conv2d:4x4-c1k2s2-1); resnet:n-w x B-m, B residual blocks of width w (e.g. '
     'resnet:2-3x2-1); @file.json: a network saved with Network.to_dict()'),
    ('arch-conv-kernel', 'train ok.csv --arch conv1d:2-c1k3-1 --loss abs --bits 2',
     1, 'InvalidInputError',
     "--arch 'conv1d:2-c1k3-1': conv layer 1: kernel (3,) is larger than the input (2,)"),
    ('arch-conv-syntax', 'train ok.csv --arch conv1d:2-x-1 --loss abs --bits 2',
     1, 'InvalidInputError',
     "--arch 'conv1d:2-x-1': expected conv1d:[Cx]L-c<out>k<kernel>[s<stride>]-...-<widths>, "
     'e.g. conv1d:8-c2k3s2-1'),
    ('arch-resnet-zero', 'train ok.csv --arch resnet:2-0x1-1 --loss abs --bits 2',
     1, 'InvalidInputError', "--arch 'resnet:2-0x1-1': width must be a positive integer; got 0"),
    ('arch-resnet-syntax', 'train ok.csv --arch resnet:2-3-1 --loss abs --bits 2',
     1, 'InvalidInputError',
     "--arch 'resnet:2-3-1': expected resnet:n-wxB-m, e.g. resnet:2-3x2-1 (B blocks of width "
     'w)'),
    ('arch-file-missing', 'train ok.csv --arch @missing.json --loss abs --bits 2',
     1, 'InvalidInputError', '--arch @missing.json: no such file'),
    ('arch-file-not-json', 'train ok.csv --arch @net_bad.json --loss abs --bits 2',
     1, 'InvalidInputError',
     '--arch @net_bad.json: not JSON (Expecting property name enclosed in double quotes: line '
     '1 column 2 (char 1))'),
    ('arch-file-nan', 'train ok.csv --arch @net_nan.json --loss abs --bits 2',
     1, 'InvalidInputError', '--arch @net_nan.json: not JSON (NaN is not a JSON number)'),
    ('arch-file-garbage', 'train ok.csv --arch @net_garbage.json --loss abs --bits 2',
     1, 'InvalidInputError',
     '--arch @net_garbage.json: not an lptrain network (format None, version None); expected '
     "format 'lptrain.network' version 1"),
    ('arch-file-list', 'train ok.csv --arch @net_list.json --loss abs --bits 2',
     1, 'InvalidInputError',
     '--arch @net_list.json: not an lptrain network (format None, version None); expected '
     "format 'lptrain.network' version 1"),
    ('arch-file-is-csv', 'train ok.csv --arch @ok.csv --loss abs --bits 2',
     1, 'InvalidInputError',
     '--arch @ok.csv: not JSON (Expecting value: line 1 column 1 (char 0))'),
    ('arch-file-folder', 'train ok.csv --arch @adir --loss abs --bits 2',
     1, 'InvalidInputError', '--arch @adir is a folder; expected a file'),
    ('size-train-arch-huge', 'train ok.csv --arch 1-100000000-1 --loss abs --bits 2',
     1, 'TooLargeError',
     "--arch '1-100000000-1': the network has 1 input, 100,000,001 nodes and 200,000,000 "
     'edges; building it would take about 82.9 GiB, above the limit of 512 MiB for a network: '
     'use smaller widths (every lptrain method grows exponentially with the number of '
     'parameters)'),
    ('size-build-arch-huge', 'build --arch 1-100000000-1 --loss abs -D 3 --bits 2',
     1, 'TooLargeError',
     "--arch '1-100000000-1': the network has 1 input, 100,000,001 nodes and 200,000,000 "
     'edges; building it would take about 82.9 GiB, above the limit of 512 MiB for a network: '
     'use smaller widths (every lptrain method grows exponentially with the number of '
     'parameters)'),
    ('size-bounds-arch-huge', 'bounds --arch 1-100000000-1 --loss abs -D 3 --bits 2',
     1, 'TooLargeError',
     "--arch '1-100000000-1': the network has 1 input, 100,000,001 nodes and 200,000,000 "
     'edges; building it would take about 82.9 GiB, above the limit of 512 MiB for a network: '
     'use smaller widths (every lptrain method grows exponentially with the number of '
     'parameters)'),
    ('size-certify-arch-huge', 'certify w.npz ok.csv --arch 1-100000000-1 --loss abs',
     1, 'TooLargeError',
     "--arch '1-100000000-1': the network has 1 input, 100,000,001 nodes and 200,000,000 "
     'edges; building it would take about 82.9 GiB, above the limit of 512 MiB for a network: '
     'use smaller widths (every lptrain method grows exponentially with the number of '
     'parameters)'),
    ('size-conv-huge', 'bounds --arch conv2d:100000x100000-c1k2-1 --loss abs -D 3 --bits 2',
     1, 'TooLargeError',
     "--arch 'conv2d:100000x100000-c1k2-1': the network has 10,000,000,000 inputs, "
     '9,999,800,002 nodes and 49,999,000,005 edges; building it would take about 1.46e+04 GiB, '
     'above the limit of 512 MiB for a network: use smaller widths (every lptrain method grows '
     'exponentially with the number of parameters)'),
    ('size-resnet-huge', 'bounds --arch resnet:2-100000x3-1 --loss abs -D 3 --bits 2',
     1, 'TooLargeError',
     "--arch 'resnet:2-100000x3-1': the network has 2 inputs, 400,001 nodes and 30,000,600,000 "
     'edges; building it would take about 6.15e+03 GiB, above the limit of 512 MiB for a '
     'network: use smaller widths (every lptrain method grows exponentially with the number of '
     'parameters)'),
    ('size-deep-huge', 'bounds --arch 1-3000-3000-3000-1 --loss abs -D 3 --bits 2',
     1, 'TooLargeError',
     "--arch '1-3000-3000-3000-1': the network has 1 input, 9,001 nodes and 18,006,000 edges; "
     'building it would take about 3.69 GiB, above the limit of 512 MiB for a network: use '
     'smaller widths (every lptrain method grows exponentially with the number of parameters)'),
    ('size-build-wide', 'build --arch 1-100000-1 --loss abs -D 3 --bits 2 --max-memory 4GiB',
     1, 'TooLargeError',
     'this build needs 1.2863e+180608 PiB (4.6123e+180620 nonzeros); the limit is 4.0 GiB: use '
     'fewer bits or samples, or raise max_memory (--max-memory)'),
    ('size-build-samples',
     'build --arch 2-1 --loss abs -D 1000000000000 --bits 2 --max-memory 4GiB',
     1, 'TooLargeError',
     'this build needs 3021.7 PiB (1.2e+16 nonzeros); the limit is 4.0 GiB: use fewer bits or '
     'samples, or raise max_memory (--max-memory)'),
    ('size-build-bits', 'build --arch 2-3-1 --loss abs -D 10 --bits 8 --max-memory 4GiB',
     1, 'TooLargeError',
     'this build needs 2.38e+27 PiB (9.5e+39 nonzeros); the limit is 4.0 GiB: use fewer bits '
     'or samples, or raise max_memory (--max-memory)'),
    ('size-train-highs',
     'train ok.csv --arch 2-3-1 --loss abs --bits 8 --solver highs --max-memory 4GiB',
     1, 'TooLargeError',
     'this build needs 6.53e+26 PiB (2.4e+39 nonzeros); the limit is 4.0 GiB: use fewer bits '
     'or samples, or raise max_memory (--max-memory)'),
    ('size-train-structured', 'train ok.csv --arch 2-3-1 --loss abs --bits 12',
     1, 'TooLargeError',
     'the structured solver would evaluate 2.74e+47 losses (|Φ_grid| = 4096^13 grid points × D '
     "= 3), more than 1e+12 (hours of work): use solver 'lazy' (--solver lazy), fewer bits, or "
     'give a time limit (--time-limit S) to try anyway'),
    ('size-bnn-exhaustive', 'bnn bin01.csv --arch 2-8-1 --solver exhaustive',
     1, 'TooLargeError',
     '--solver exhaustive would try 2^33 = 8.59e+09 parameter vectors, more than 2^28 (hours): '
     'use --solver lp or mip, or a smaller network'),
    ('size-bnn-lp', 'bnn bin01.csv --arch 2-8-8-1',
     1, 'TooLargeError',
     'this build needs 6.13e+26 GiB (3.49e+33 nonzeros; 2^108 table rows per bag, D=4); the '
     'limit is 2 GiB: use a smaller network or fewer samples, or raise --max-memory'),
    ('size-achievable', 'achievable ok.csv --arch 2-3-1 --loss abs --bits 6 --target-loss 0.1',
     1, 'TooLargeError',
     'the face has D*|grid| = 3*302231454903657293676544 = 906694364710971881029632 lambda '
     'variables; the limit is 8000000: use fewer bits or samples'),
    ('csv-missing', 'train missing.csv --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError', 'data file missing.csv: no such file'),
    ('csv-folder', 'train adir --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError', 'data file adir is a folder; expected a file'),
    ('csv-empty', 'train empty.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError', 'empty.csv is empty; expected a header row and at least one data row'),
    ('csv-blank-lines', 'train blank.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError', 'blank.csv is empty; expected a header row and at least one data row'),
    ('csv-header-only', 'train hdronly.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError', 'hdronly.csv has a header but no data rows'),
    ('csv-ragged-short', 'train ragged.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError', 'ragged.csv: data row 2 (line 3) has 2 columns but the header has 3'),
    ('csv-ragged-long', 'train long.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError', 'long.csv: data row 1 (line 2) has 4 columns but the header has 3'),
    ('csv-text-cell', 'train text.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError', "text.csv: data row 1, column 'b': cannot parse 'abc' as a number"),
    ('csv-empty-cell', 'train emptycell.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     "emptycell.csv: data row 1, column 'b' is empty; missing values are not supported: fill "
     'or drop the row'),
    ('csv-empty-label', 'train emptylabel.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     "emptylabel.csv: data row 1, column 'y' is empty; missing values are not supported: fill "
     'or drop the row'),
    ('csv-nan', 'train nan.csv --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError', 'X (from nan.csv) contains NaN in row 0 (column 1)'),
    ('csv-inf', 'train inf.csv --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError', 'X (from inf.csv) contains inf in row 1 (column 1)'),
    ('csv-minus-inf-target', 'train ninf.csv --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError', 'y (from ninf.csv) contains inf in row 0 (column 0)'),
    ('csv-overflow', 'train overflow.csv --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError', 'X (from overflow.csv) contains inf in row 0 (column 0)'),
    ('csv-complex', 'train complex.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     "complex.csv: data row 1, column 'a': cannot parse '1+2j' as a number (complex numbers "
     'are not supported: lptrain works with real numbers)'),
    ('csv-semicolons', 'train semi.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     "semi.csv has a single column ['a;b;y']; lptrain needs feature columns and target columns "
     "separated by commas (the file seems to use ';' or tabs between values; lptrain reads "
     'commas)'),
    ('csv-semicolon-cell', 'train semi3.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     "semi3.csv: data row 1, column 'a': cannot parse '0.1;0.2' as a number (the file seems to "
     "use ';' or tabs between values; lptrain reads commas)"),
    ('csv-one-column', 'train onecol.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     "onecol.csv has a single column ['y']; lptrain needs feature columns and target columns "
     'separated by commas'),
    ('csv-duplicate-names', 'train dupe.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     "dupe.csv: the header names column 'a' twice (columns 0 and 1); column names must be "
     'unique so that each one picks one column'),
    ('csv-empty-name', 'train emptyname.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     'emptyname.csv: column 2 of the header row has no name (a trailing comma?); every column '
     "needs a name, or pass --header no (header='no') for a file without a header row"),
    ('csv-numeric-header', 'train numhdr.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     'numhdr.csv: the first row (0.1,0.2,0.3) is all numbers: it looks like data, not a header '
     'row, and would be lost; add a header row with the column names, pass --header no '
     "(header='no') if the file has none, or --header yes (header='yes') if these numbers are "
     'the column names'),
    ('csv-binary', 'train binary.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     "binary.csv is not a readable CSV file ('utf-8' codec can't decode byte 0xff in position "
     '0: invalid start byte)'),
    ('csv-nul', 'train nul.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError', "nul.csv: data row 1, column 'b': cannot parse '0\\x00.2' as a number"),
    ('csv-big-field', 'train bigfield.csv --arch 2-1 --loss abs --bits 2',
     1, 'FileFormatError',
     'bigfield.csv is not a readable CSV file (field larger than field limit (131072))'),
    ('csv-outside-box-x', 'train outbox.csv --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError',
     "X (from outbox.csv) must lie in [-1, 1] (the paper's normalization); entry at row 0 "
     '(column 0) is 1.1; pass --scale to map each column onto [-1, 1] (the scaling is stored '
     'in the model file and applied by predict)'),
    ('csv-outside-box-y', 'train outboxy.csv --arch 2-1 --loss abs --bits 2',
     1, 'InvalidInputError',
     "y (from outboxy.csv) must lie in [-1, 1] (the paper's normalization); entry at row 0 "
     '(column 0) is -3.0; pass --scale to map each column onto [-1, 1] (the scaling is stored '
     'in the model file and applied by predict)'),
    ('csv-header-no-ragged', 'train ragged.csv --arch 2-1 --loss abs --bits 2 --header no',
     1, 'FileFormatError', 'ragged.csv: data row 3 (line 3) has 2 columns but the first row has 3'),
    ('csv-header-yes-numeric-body', 'train text.csv --arch 2-1 --loss abs --bits 2 --header yes',
     1, 'FileFormatError', "text.csv: data row 1, column 'b': cannot parse 'abc' as a number"),
    ('csv-predict-missing', 'predict model.json missing.csv',
     1, 'InvalidInputError', 'data file missing.csv: no such file'),
    ('csv-predict-dupe', 'predict model.json dupe.csv',
     1, 'FileFormatError',
     "dupe.csv: the header names column 'a' twice (columns 0 and 1); column names must be "
     'unique so that each one picks one column'),
    ('csv-predict-numeric-header', 'predict model.json numhdr.csv',
     1, 'FileFormatError',
     'numhdr.csv: the first row (0.1,0.2,0.3) is all numbers: it looks like data, not a header '
     'row, and would be lost; add a header row with the column names, pass --header no '
     "(header='no') if the file has none, or --header yes (header='yes') if these numbers are "
     'the column names'),
    ('csv-predict-nan', 'predict model.json nan.csv',
     1, 'InvalidInputError', 'X (from nan.csv) contains NaN in row 0 (column 1)'),
    ('csv-predict-text', 'predict model.json text.csv',
     1, 'FileFormatError', "text.csv: data row 1, column 'b': cannot parse 'abc' as a number"),
    ('csv-predict-names', 'predict model.json renamed.csv',
     1, 'InvalidInputError',
     "renamed.csv has columns ['p', 'q', 'y'] but the model was trained on ['a', 'b']; ['a', "
     "'b'] are not in the header: rename the columns, or pass --by-position to use the first 2 "
     'columns in order'),
    ('csv-predict-by-position-width', 'predict model.json onecol.csv --by-position',
     1, 'InvalidInputError',
     "onecol.csv has 1 column but --by-position needs exactly the model's 2 inputs (n=2), or "
     'those followed by its 1 target column(s)'),
    ('model-forged-names', 'predict m_names.json ok.csv',
     1, 'FileFormatError', 'm_names.json: feature_names must be a list of 2 column names'),
    ('csv-certify-names', 'certify model.json renamed.csv',
     1, 'InvalidInputError',
     "renamed.csv has no columns 'a', 'b' (its columns are ['p', 'q', 'y']); the feature "
     "columns must be ['a', 'b'], the columns the model was trained on: rename the columns, or "
     'pass --by-position to take the first 2 columns in order'),
    ('csv-certify-dupe', 'certify model.json dupe.csv',
     1, 'FileFormatError',
     "dupe.csv: the header names column 'a' twice (columns 0 and 1); column names must be "
     'unique so that each one picks one column'),
    ('csv-certify-foreign-box', 'certify w.npz wide.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     "X (from wide.csv) must lie in [-1, 1] (the paper's normalization); entry at row 0 "
     '(column 0) is 10.0; pass --scale to scale them by their range (as the weights were '
     'trained)'),
    ('csv-certify-foreign-labels', 'certify w.npz labels.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     'labels.csv: the target column(s) must be numbers with foreign weights (class labels need '
     'a model file)'),
    ('csv-build-points-missing', 'build --arch 2-1 --loss abs -D 3 --bits 2 --points missing.csv',
     1, 'InvalidInputError', '--points missing.csv: no such file'),
    ('csv-build-points-labels', 'build --arch 2-1 --loss abs -D 3 --bits 2 --points labels.csv',
     1, 'InvalidInputError',
     '--points labels.csv: the last 1 column(s) must be numeric labels in [-1, 1]'),
    ('csv-build-points-dupe', 'build --arch 2-1 --loss abs -D 3 --bits 2 --points dupe.csv',
     1, 'FileFormatError',
     "dupe.csv: the header names column 'a' twice (columns 0 and 1); column names must be "
     'unique so that each one picks one column'),
    ('csv-bnn-missing', 'bnn missing.csv --arch 2-1',
     1, 'InvalidInputError', 'data file missing.csv: no such file'),
    ('csv-bnn-numeric-header', 'bnn numhdr.csv --arch 2-1',
     1, 'FileFormatError',
     'numhdr.csv: the first row (0.1,0.2,0.3) is all numbers: it looks like data, not a header '
     'row, and would be lost; add a header row with the column names, pass --header no '
     "(header='no') if the file has none, or --header yes (header='yes') if these numbers are "
     'the column names'),
    ('csv-achievable-missing',
     'achievable missing.csv --arch 1-1 --loss abs --bits 2 --target-loss 0.1',
     1, 'InvalidInputError', 'data file missing.csv: no such file'),
    ('csv-achievable-box', 'achievable wide.csv --arch 2-1 --loss abs --bits 2 --target-loss 0.1',
     1, 'InvalidInputError',
     "X must lie in [-1, 1] (the paper's normalization); entry at row 0 (column 0) is 10.0; "
     'scale the data into [-1, 1] first (lptrain.data.UnitScaler)'),
    ('csv-structure-columns', 'structure --arch 2-1 -D 2 --bits 1 --data one.csv',
     1, 'InvalidInputError', 'X has 1 column but the network has 2 inputs (n=2)'),
    ('csv-structure-missing', 'structure --arch 2-1 -D 2 --bits 1 --data missing.csv',
     1, 'InvalidInputError', '--data missing.csv: no such file'),
    ('model-missing', 'predict missing.json ok.csv',
     1, 'InvalidInputError', 'model file missing.json: no such file'),
    ('model-folder', 'predict adir ok.csv',
     1, 'InvalidInputError', 'model file adir is a folder; expected a file'),
    ('model-csv', 'predict ok.csv ok.csv',
     1, 'FileFormatError', 'ok.csv is not valid JSON (Expecting value: line 1 column 1 (char 0))'),
    ('model-empty', 'predict m_empty.json ok.csv',
     1, 'FileFormatError',
     'm_empty.json is not valid JSON (Expecting value: line 1 column 1 (char 0))'),
    ('model-nan-literal', 'predict m_nan.json ok.csv',
     1, 'FileFormatError',
     'm_nan.json is not valid JSON (NaN is not a JSON number (JSON has no NaN or Infinity))'),
    ('model-infinity-literal', 'predict m_inf.json ok.csv',
     1, 'FileFormatError',
     'm_inf.json is not valid JSON (Infinity is not a JSON number (JSON has no NaN or '
     'Infinity))'),
    ('model-overflow-number', 'predict m_overflow.json ok.csv',
     1, 'FileFormatError',
     'm_overflow.json is not valid JSON (the number 1e999 overflows a float)'),
    ('model-deep-nesting', 'predict m_deep.json ok.csv',
     1, 'FileFormatError', 'm_deep.json is nested too deeply to be a valid document'),
    ('model-huge-integer', 'predict m_bigint.json ok.csv',
     1, 'FileFormatError',
     'm_bigint.json is not valid JSON (Exceeds the limit (4300 digits) for integer string '
     'conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the '
     'limit)'),
    ('model-truncated', 'predict m_trunc.json ok.csv',
     1, 'FileFormatError',
     "m_trunc.json is not valid JSON (Expecting ',' delimiter: line 41 column 5 (char 676))"),
    ('model-bit-flipped', 'predict m_flip.json ok.csv',
     1, 'FileFormatError', 'm_flip.json fails its checksum: the file was modified or damaged'),
    ('model-list', 'predict m_list.json ok.csv',
     1, 'FileFormatError', 'm_list.json must hold a JSON object; it holds list'),
    ('model-utf16', 'predict m_utf16.json ok.csv',
     1, 'FileFormatError',
     "m_utf16.json is not valid JSON (not UTF-8 text: 'utf-8' codec can't decode byte 0xff in "
     'position 0: invalid start byte)'),
    ('model-wrong-kind', 'predict m_kind.json ok.csv',
     1, 'FileFormatError', "m_kind.json is not an lptrain model file (its kind is 'polytope')"),
    ('model-wrong-version', 'predict m_version.json ok.csv',
     1, 'FileFormatError',
     'm_version.json has format version 99; this lptrain reads versions [1, 2] of model files'),
    ('model-forged-params', 'predict m_params.json ok.csv',
     1, 'FileFormatError', 'm_params.json: params has 2 entries but the network has N=3'),
    ('model-forged-str-params', 'predict m_strparams.json ok.csv',
     1, 'FileFormatError', 'm_strparams.json: params must be a list of numbers'),
    ('model-forged-scaler', 'predict m_scaler.json ok.csv',
     1, 'FileFormatError',
     'm_scaler.json: scaler_x must hold 2 finite numbers per part (one per column); it holds '
     'shape (1,)'),
    ('model-forged-scaler-zero', 'predict m_scaler0.json ok.csv',
     1, 'FileFormatError', 'm_scaler0.json: scaler_x.half_range must be positive'),
    ('model-forged-labels', 'predict m_labels.json ok.csv',
     1, 'FileFormatError',
     'm_labels.json: label classes must be a sorted list of at least 2 distinct names or '
     'numbers (exactly 2 for the sign scheme)'),
    ('model-forged-scheme', 'predict m_scheme.json ok.csv',
     1, 'FileFormatError',
     "m_scheme.json: label scheme must be 'sign', 'onehot' or 'pm_onehot'; got 'magic'"),
    ('model-forged-loss', 'predict m_loss.json ok.csv',
     1, 'FileFormatError',
     'm_loss.json: loss must be one of abs, quadratic, hinge, cross_entropy, hamming, huber; '
     "got 'magic'"),
    ('model-forged-network', 'predict m_net.json ok.csv',
     1, 'FileFormatError',
     'm_net.json: not an lptrain network (format None, version None); expected format '
     "'lptrain.network' version 1"),
    ('model-forged-network-list', 'predict m_netlist.json ok.csv',
     1, 'FileFormatError', 'm_netlist.json: network must be a JSON object (Network.to_dict)'),
    ('model-certify-bit-flipped', 'certify m_flip.json ok.csv',
     1, 'FileFormatError', 'm_flip.json fails its checksum: the file was modified or damaged'),
    ('model-certify-deep', 'certify m_deep.json ok.csv',
     1, 'FileFormatError', 'm_deep.json is nested too deeply to be a valid document'),
    ('model-certify-npz', 'certify poly.npz ok.csv',
     1, 'InvalidInputError',
     'poly.npz: without --arch, certify reads a model file written by lptrain (.json); for '
     'foreign weights (.pt, .npz or .json arrays) give --arch and --loss'),
    ('poly-missing', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope missing.npz',
     1, 'InvalidInputError', '--polytope missing.npz: no such file'),
    ('poly-folder', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope adir',
     1, 'InvalidInputError', '--polytope adir is a folder; expected a file'),
    ('poly-csv', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope ok.csv',
     1, 'FileFormatError',
     'ok.csv is not a readable lptrain file (truncated or corrupt: File is not a zip file)'),
    ('poly-empty', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_empty.npz',
     1, 'FileFormatError',
     'p_empty.npz is not a readable lptrain file (truncated or corrupt: File is not a zip '
     'file)'),
    ('poly-text', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_text.npz',
     1, 'FileFormatError',
     'p_text.npz is not a readable lptrain file (truncated or corrupt: File is not a zip file)'),
    ('poly-truncated', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_trunc.npz',
     1, 'FileFormatError',
     'p_trunc.npz is not a readable lptrain file (truncated or corrupt: File is not a zip '
     'file)'),
    ('poly-bit-flipped', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_flip.npz',
     1, 'FileFormatError',
     'p_flip.npz is not a readable lptrain file (truncated or corrupt: Bad CRC-32 for file '
     "'loss_table.npy')"),
    ('poly-wrong-kind', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_kind.npz',
     1, 'FileFormatError', "p_kind.npz is not an lptrain polytope file (its kind is 'model')"),
    ('poly-pickle', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_pickle.npz',
     1, 'FileFormatError',
     'p_pickle.npz is not a readable lptrain file (truncated or corrupt: member '
     "'loss_table.npy' holds Python objects (dtype object), which would need pickle)"),
    ('poly-huge-shape', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_bigshape.npz',
     1, 'FileFormatError',
     'p_bigshape.npz is not a readable lptrain file (truncated or corrupt: member '
     "'loss_table.npy' declares shape (1000000000000,) (8000000000000 bytes) but holds 8 "
     'bytes)'),
    ('poly-table-shape', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_shape.npz',
     1, 'FileFormatError', 'p_shape.npz: loss table has shape (64, 10); expected (64, 64)'),
    ('poly-table-dtype', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_int.npz',
     1, 'FileFormatError', 'p_int.npz: the loss table must be an array of float64; it is int64'),
    ('poly-samples-mismatch', 'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_D4.npz',
     1, 'InvalidInputError',
     'the polytope was built for D=4 samples but the data has 3 rows; build one with --samples '
     '3'),
    ('poly-network-mismatch',
     'train ok.csv --arch 2-1 --loss quadratic --bits 2 --polytope poly.npz',
     1, 'InvalidInputError',
     "the polytope was built for loss 'abs'; this problem uses 'quadratic'"),
    ('poly-forged-highs',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope p_forged.npz --solver highs',
     1, 'FileFormatError',
     'p_forged.npz: loss table entry (30, 5) is 0.0 but the stored network and loss give '
     '0.25: the table disagrees with its own network (the file was edited or damaged); '
     'rebuild it with lptrain build'),
    ('poly-max-memory',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope poly.npz --solver highs '
     '--max-memory 1KiB',
     1, 'TooLargeError',
     'this build needs 72.6 MiB (2.9e+04 nonzeros); the limit is 1.0 KiB: use fewer bits or '
     'samples, or raise max_memory (--max-memory)'),
    ('params-missing', 'certify missing.npz ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError', 'model or params file missing.npz: no such file'),
    ('params-suffix', 'certify w.txt ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError', 'params file w.txt must end in .pt, .pth, .npz or .json'),
    ('params-truncated', 'certify w_trunc.npz ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     'w_trunc.npz is not a readable .npz file (truncated or corrupt: File is not a zip file)'),
    ('params-bit-flipped', 'certify w_flip.npz ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     'w_flip.npz is not a readable .npz file (truncated or corrupt: File name in directory '
     "'paìams.npy' and header b'params.npy' differ.)"),
    ('params-pickle', 'certify w_pickle.npz ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     "w_pickle.npz is not a readable .npz file (truncated or corrupt: member 'params.npy' "
     'holds Python objects (dtype object), which would need pickle)'),
    ('params-complex', 'certify w_complex.npz ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     "weights file w_complex.npz: weight 'params' holds complex numbers; weights must be "
     'real'),
    ('params-nan-npz', 'certify w_nan.npz ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError', "weights file w_nan.npz: weight 'params' contains NaN or inf"),
    ('params-strings-npz', 'certify w_str.npz ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError', "weights file w_str.npz: weight 'params' is not numeric (dtype <U1)"),
    ('params-huge-shape', 'certify w_bigshape.npz ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     'w_bigshape.npz is not a readable .npz file (truncated or corrupt: member '
     "'loss_table.npy' declares shape (1000000000000,) (8000000000000 bytes) but holds 8 "
     'bytes)'),
    ('params-nan-json', 'certify w_nan.json ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     'weights file w_nan.json is not valid JSON (NaN is not a JSON number (JSON has no NaN '
     'or Infinity))'),
    ('params-infinity-json', 'certify w_inf.json ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     'weights file w_inf.json is not valid JSON (-Infinity is not a JSON number (JSON has no'
     ' NaN or Infinity))'),
    ('params-deep-json', 'certify w_deep.json ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError', 'weights file w_deep.json is nested too deeply to be a valid document'),
    ('params-huge-integer', 'certify w_bigint.json ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     'weights file w_bigint.json is not valid JSON (Exceeds the limit (4300 digits) for '
     'integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to '
     'increase the limit)'),
    ('params-wrong-count', 'certify w_wrongN.json ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError', 'w_wrongN.json holds 2 parameters but the network has N=3'),
    ('params-strings-json', 'certify w_str.json ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError', "weights file w_str.json: weight 'params' is not numeric (dtype <U1)"),
    ('params-ragged', 'certify w_ragged.json ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     'weights file w_ragged.json: params is a ragged nested list (rows of different '
     'lengths); give a flat list of N numbers or arrays of the group shapes'),
    ('params-empty-object', 'certify w_empty.json ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     "weights file w_empty.json: the state_dict's names [] (shapes []) match neither the "
     "network's groups ['layer1.weight', 'layer1.bias'] (shapes [(1, 2), (1,)]) nor the "
     "nn.Sequential naming of its layers ('0.weight', '0.bias', '2.weight', ...): is it the "
     "network's architecture?"),
    ('params-scalar', 'certify w_scalar.json ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     'weights file w_scalar.json must hold a JSON list of numbers or an object of arrays; it'
     ' holds int'),
    ('params-group-missing', 'certify w_groups_missing.json ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     "weights file w_groups_missing.json: the state_dict's names ['layer1.weight'] (shapes "
     "[(1, 2)]) match neither the network's groups ['layer1.weight', 'layer1.bias'] (shapes "
     "[(1, 2), (1,)]) nor the nn.Sequential naming of its layers ('0.weight', '0.bias', "
     "'2.weight', ...): is it the network's architecture?"),
    ('params-group-shape', 'certify w_groups_shape.json ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     "weights file w_groups_shape.json: weight 'layer1.weight' has shape (2,); the network's"
     ' layer1.weight needs (1, 2)'),
    ('tv-missing', 'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-vector missing.txt',
     1, 'InvalidInputError', '--target-vector missing.txt: no such file'),
    ('tv-token', 'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-vector tv_bad.txt',
     1, 'FileFormatError', "tv_bad.txt: cannot parse 'abc' as a number"),
    ('tv-empty', 'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-vector tv_empty.txt',
     1, 'FileFormatError', 'target vector file tv_empty.txt holds no numbers'),
    ('tv-nan', 'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-vector tv_nan.txt',
     1, 'InvalidInputError', 'the target vector (from tv_nan.txt) contains NaN in entry 1'),
    ('tv-binary',
     'achievable one.csv --arch 1-1 --loss abs --bits 2 --target-vector tv_binary.txt',
     1, 'FileFormatError',
     "target vector file tv_binary.txt is not text ('utf-8' codec can't decode byte 0xff in "
     'position 0: invalid start byte)'),
    ('out-is-data', 'train ok.csv --arch 2-1 --loss abs --bits 2 -o ok.csv',
     1, 'InvalidInputError',
     '-o ok.csv is the input data file ok.csv: lptrain never overwrites an input; choose '
     'another output name'),
    ('out-is-data-other-spelling',
     'train ok.csv --arch 2-1 --loss abs --bits 2 -o ./adir/../ok.csv',
     1, 'InvalidInputError',
     '-o adir/../ok.csv is the input data file ok.csv: lptrain never overwrites an input; '
     'choose another output name'),
    ('out-is-polytope',
     'train ok.csv --arch 2-1 --loss abs --bits 2 --polytope poly.npz --plot poly.npz',
     1, 'InvalidInputError',
     '--plot poly.npz is the input --polytope poly.npz: lptrain never overwrites an input; '
     'choose another output name'),
    ('out-is-arch-file', 'train ok.csv --arch @net.json --loss abs --bits 2 -o net.json',
     1, 'InvalidInputError',
     '-o net.json is the input --arch net.json: lptrain never overwrites an input; choose '
     'another output name'),
    ('out-predict-is-model', 'predict model.json ok.csv -o model.json',
     1, 'InvalidInputError',
     '-o model.json is the input model file model.json: lptrain never overwrites an input; '
     'choose another output name'),
    ('out-predict-is-data', 'predict model.json ok.csv -o ok.csv',
     1, 'InvalidInputError',
     '-o ok.csv is the input data file ok.csv: lptrain never overwrites an input; choose '
     'another output name'),
    ('out-build-is-points',
     'build --arch 2-1 --loss abs -D 3 --bits 2 --points ok.csv --mps ok.csv',
     1, 'InvalidInputError',
     '--mps ok.csv is the input --points ok.csv: lptrain never overwrites an input; choose '
     'another output name'),
    ('out-bnn-is-data', 'bnn bin01.csv --arch 2-1 -o bin01.csv',
     1, 'InvalidInputError',
     '-o bin01.csv is the input data file bin01.csv: lptrain never overwrites an input; choose '
     'another output name'),
    ('out-folder', 'train ok.csv --arch 2-1 --loss abs --bits 2 -o adir',
     1, 'InvalidInputError', '-o adir is a folder; give a file name inside it, e.g. adir/out'),
    ('out-missing-folder', 'train ok.csv --arch 2-1 --loss abs --bits 2 -o nowhere/model.json',
     1, 'InvalidInputError',
     '-o nowhere/model.json: folder nowhere does not exist; create it first, or choose another '
     'path'),
    ('out-parent-is-file', 'train ok.csv --arch 2-1 --loss abs --bits 2 -o afile/model.json',
     1, 'InvalidInputError',
     '-o afile/model.json: afile is a file, not a folder; choose another path'),
    ('out-dev-null', 'train ok.csv --arch 2-1 --loss abs --bits 2 -o /dev/null',
     1, 'InvalidInputError',
     '-o /dev/null exists and is not a regular file (a device, pipe or socket); lptrain '
     'replaces outputs by rename and will not replace it'),
    ('out-empty-name', "train ok.csv --arch 2-1 --loss abs --bits 2 -o ''",
     1, 'InvalidInputError', '-o is empty; give a file name'),
    ('out-model-suffix', 'train ok.csv --arch 2-1 --loss abs --bits 2 -o model.npz',
     1, 'InvalidInputError',
     '-o model.npz: the model file is written as .json; give a name ending in .json'),
    ('out-plot-suffix', 'train ok.csv --arch 2-1 --loss abs --bits 2 --plot fit.pdf',
     1, 'InvalidInputError',
     '--plot fit.pdf: the plot is written as .png; give a name ending in .png'),
    ('out-build-suffix', 'build --arch 2-1 --loss abs -D 3 --bits 2 -o poly.json',
     1, 'InvalidInputError',
     '-o poly.json: the polytope file is written as .npz; give a name ending in .npz'),
    ('out-mps-suffix', 'build --arch 2-1 --loss abs -D 3 --bits 2 --mps poly.lp',
     1, 'InvalidInputError',
     '--mps poly.lp: the MPS file is written as .mps; give a name ending in .mps'),
    ('out-two-same', 'build --arch 2-1 --loss abs -D 3 --bits 2 -o new.npz --mps new.npz',
     1, 'InvalidInputError',
     '--mps new.npz and -o new.npz name the same file; give each output its own name'),
    ('out-train-two-same',
     'train ok.csv --arch 2-1 --loss abs --bits 2 -o new.json --plot new.json',
     1, 'InvalidInputError',
     '--plot new.json and -o new.json name the same file; give each output its own name'),
    ('out-bnn-suffix', 'bnn bin01.csv --arch 2-1 -o model.csv',
     1, 'InvalidInputError',
     '-o model.csv: the model file is written as .json; give a name ending in .json'),
    ('out-predict-folder', 'predict model.json ok.csv -o adir',
     1, 'InvalidInputError', '-o adir is a folder; give a file name inside it, e.g. adir/out'),
    ('out-unreadable-proc',
     'train ok.csv --arch 2-1 --loss abs --bits 2 -o /proc/lptrain-test/model.json',
     1, 'InvalidInputError',
     '-o /proc/lptrain-test/model.json: folder /proc/lptrain-test does not exist; create it '
     'first, or choose another path'),
    ('out-demo-out-dir-file', 'demo --quick --no-sgd --out-dir afile',
     1, 'InvalidInputError', '--out-dir afile: afile is a file, not a folder'),
    # certify: the box, the search, the better model (-o) and the plot
    ('usage-certify-box-zero', 'certify model.json ok.csv --box 0',
     2, 'UsageError',
     "argument --box: expected a number > 0; got '0' (see lptrain certify --help)"),
    ('usage-certify-box-negative', 'certify model.json ok.csv --box -2',
     2, 'UsageError',
     "argument --box: expected a number > 0; got '-2' (see lptrain certify --help)"),
    ('usage-certify-box-nan', 'certify model.json ok.csv --box nan',
     2, 'UsageError',
     "argument --box: expected a finite number; got 'nan' (see lptrain certify --help)"),
    ('usage-certify-box-text', 'certify model.json ok.csv --box big',
     2, 'UsageError', "argument --box: expected a number; got 'big' (see lptrain certify --help)"),
    ('usage-certify-method-choice', 'certify model.json ok.csv --method best',
     2, 'UsageError',
     "argument --method: invalid choice: 'best' (choose from 'auto', 'patterns', 'boxes') (see "
     'lptrain certify --help)'),
    ('value-certify-patterns-tanh',
     'certify w.npz ok.csv --arch 2-1 --activation tanh --loss abs --method patterns',
     1, 'InvalidInputError',
     "method='patterns' does not apply: depth 1 with 1 outputs (one hidden layer and one "
     "output only); use method='auto' or 'boxes'"),
    ('out-certify-is-model', 'certify model.json ok.csv -o model.json',
     1, 'InvalidInputError',
     '-o model.json is the input model or params file model.json: lptrain never overwrites an '
     'input; choose another output name'),
    ('out-certify-is-data', 'certify model.json ok.csv -o ok.csv',
     1, 'InvalidInputError',
     '-o ok.csv is the input data file ok.csv: lptrain never overwrites an input; choose '
     'another output name'),
    ('out-certify-is-params', 'certify w.json ok.csv --arch 2-1 --loss abs -o w.json',
     1, 'InvalidInputError',
     '-o w.json is the input model or params file w.json: lptrain never overwrites an input;'
     ' choose another output name'),
    ('out-certify-plot-is-model', 'certify model.json ok.csv --plot model.json',
     1, 'InvalidInputError',
     '--plot model.json is the input model or params file model.json: lptrain never '
     'overwrites an input; choose another output name'),
    ('out-certify-two-same', 'certify model.json ok.csv -o new.json --plot new.json',
     1, 'InvalidInputError',
     '--plot new.json and -o new.json name the same file; give each output its own name'),
    ('out-certify-suffix', 'certify model.json ok.csv -o better.npz',
     1, 'InvalidInputError',
     '-o better.npz: the model file is written as .json; give a name ending in .json'),
    ('out-certify-plot-suffix', 'certify model.json ok.csv --plot cert.jpg',
     1, 'InvalidInputError',
     '--plot cert.jpg: the plot is written as .png; give a name ending in .png'),
    ('out-certify-missing-folder', 'certify model.json ok.csv -o nowhere/better.json',
     1, 'InvalidInputError',
     '-o nowhere/better.json: folder nowhere does not exist; create it first, or choose '
     'another path'),
    ('out-certify-unwritable', 'certify model.json ok.csv -o /proc/version',
     1, 'InvalidInputError',
     '-o /proc/version: cannot write in folder /proc (No such file or directory); choose '
     'another path'),
    ('out-certify-folder', 'certify model.json ok.csv -o adir',
     1, 'InvalidInputError', '-o adir is a folder; give a file name inside it, e.g. adir/out'),
    ('params-certify-state-dict-shape', 'certify w_seq.npz ok.csv --arch 2-2-1 --loss abs',
     1, 'InvalidInputError',
     "weights file w_seq.npz: the state_dict's names ['0.weight', '0.bias'] (shapes [(1, 2),"
     " (1,)]) match neither the network's groups ['layer1.weight', 'layer1.bias', "
     "'layer2.weight', 'layer2.bias'] (shapes [(2, 2), (2,), (1, 2), (1,)]) nor the "
     "nn.Sequential naming of its layers ('0.weight', '0.bias', '2.weight', ...): is it the "
     "network's architecture?"),
]

#: Cases that need PyTorch (``.pt`` files of the zoo): skipped without it.
TORCH_CASES = [
    ('pt-not-a-state-dict', 'certify w_tensor.pt ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError', 'w_tensor.pt holds a Tensor, not a state_dict; save it with '
     'torch.save(model.state_dict(), path)'),
    ('pt-checkpoint', 'certify w_ckpt.pt ok.csv --arch 2-1 --loss abs',
     1, 'InvalidInputError',
     "w_ckpt.pt: entries ['model', 'epoch'] are not tensors; save the model's state_dict "
     'only (not a checkpoint dict)'),
    ('pt-garbage', 'certify w_garbage.pt ok.csv --arch 2-1 --loss abs',
     1, 'FileFormatError',
     'cannot read weights from w_garbage.pt (RuntimeError: PytorchStreamReader failed '
     'reading zip archive: not a ZIP archive); it is read with weights_only=True (no code '
     'from the file runs): save the model with torch.save(model.state_dict(), path) and give'
     ' the architecture with --arch / the network'),
    ('pt-tanh-module-relu-arch', 'certify w_tanh.pt ok.csv --arch 2-1-1 --loss abs',
     1, 'InvalidInputError',
     "weights file w_tanh.pt: module layer '0' is followed by tanh but the network's hidden "
     "activation is relu: pass the network with activation 'tanh' (e.g. parse_arch(..., "
     "'tanh')) or the module it was trained as (on the command line: --activation)"),
    ('pt-sigmoid-module', 'certify w_sigmoid.pt ok.csv --arch 2-1-1 --loss abs',
     1, 'FileFormatError',
     'cannot read weights from w_sigmoid.pt (it holds a torch.nn.modules.activation.Sigmoid,'
     ' which is neither a tensor nor one of the torch.nn layers Sequential, Linear, Conv1d, '
     'Conv2d, Flatten, Unflatten, Dropout, ReLU, LeakyReLU, Tanh, Hardtanh, ELU, Identity); '
     'it is read with weights_only=True (no code from the file runs): save the model with '
     'torch.save(model.state_dict(), path) and give the architecture with --arch / the '
     'network'),
    ('pt-state-dict-wrong-arch', 'certify w_sd.pt ok.csv --arch 2-1-1 --loss abs',
     1, 'InvalidInputError',
     "weights file w_sd.pt: the state_dict's names ['0.weight', '0.bias'] (shapes [(1, 2), "
     "(1,)]) match neither the network's groups ['layer1.weight', 'layer1.bias', "
     "'layer2.weight', 'layer2.bias'] (shapes [(1, 2), (1,), (1, 1), (1,)]) nor the "
     "nn.Sequential naming of its layers ('0.weight', '0.bias', '2.weight', ...): is it the "
     "network's architecture?"),
    ('pt-out-is-input', 'certify w_sd.pt ok.csv --arch 2-1 --loss abs -o w_sd.pt',
     1, 'InvalidInputError',
     '-o w_sd.pt is the input model or params file w_sd.pt: lptrain never overwrites an '
     'input; choose another output name'),
]


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoo")
    cwd = os.getcwd()
    make_files(folder)
    os.chdir(cwd)
    return folder, snapshot(folder)


@pytest.fixture(autouse=True)
def _in_zoo(zoo, monkeypatch):
    monkeypatch.chdir(zoo[0])
    monkeypatch.setenv("LPTRAIN_BACKEND", "numpy")
    monkeypatch.setattr(cli_common, "SCHEDULER_TIMEOUT", 1)


def test_the_table_names_each_case_once():
    ids = [c[0] for c in CASES + TORCH_CASES]
    assert len(ids) == len(set(ids)) and all(c[4] for c in CASES)


def _torch_case(case: tuple) -> object:
    return pytest.param(*case, id=case[0], marks=pytest.mark.skipif(
        importlib.util.find_spec("torch") is None, reason="needs PyTorch"))


@pytest.mark.parametrize(("cid", "argv", "code", "error", "message"),
                         [pytest.param(*c, id=c[0]) for c in CASES]
                         + [_torch_case(c) for c in TORCH_CASES])
def test_hostile_input(zoo, capsys, cid, argv, code, error, message):
    folder, before = zoo
    args = shlex.split(argv)
    got, obj, _ = run_cli([*args, "--json"] if "--json" not in args else args)
    assert (got, obj["error"], obj["message"]) == (code, error, message)
    assert snapshot(folder) == before
    if "--json" in args:
        return
    assert main(args) == code
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    command = obj["command"]
    prefix = f"lptrain {command}: error: " if command else "lptrain: error: "
    assert captured.err.splitlines()[-1] == prefix + message
    assert snapshot(folder) == before
