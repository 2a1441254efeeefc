"""The Display classes: what they draw, not only that they run."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_math import (
    ComponentPlanesDisplay,
    LossCurveDisplay,
    SelfOrganizingMap,
    SigmoidMLPClassifier,
    SigmoidMLPRegressor,
    SOMDisplay,
)

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")

X_XOR = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y_XOR = np.array([0, 1, 1, 0])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_importing_the_package_does_not_import_matplotlib():
    code = "import sys, sknn_math; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "False"


def test_loss_curve_display_draws_the_loss_curve():
    clf = SigmoidMLPClassifier((3,), solver="lbfgs", random_state=1).fit(X_XOR, Y_XOR)
    display = LossCurveDisplay.from_estimator(clf, log_scale=True)
    np.testing.assert_allclose(display.line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(display.line_.get_xdata(),
                                  np.arange(1, len(clf.loss_curve_) + 1))
    assert display.ax_.get_yscale() == "log"
    assert display.validation_loss_line_ is None
    assert display.validation_score_line_ is None
    assert display.figure_ is display.ax_.figure


def test_loss_curve_display_draws_validation_curves_on_the_given_axes():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    clf = SigmoidMLPClassifier((5,), early_stopping=True, max_iter=30, tol=0.0,
                               learning_rate_init=0.05, n_iter_no_change=5,
                               random_state=0).fit(X, y)
    _, ax = plt.subplots()
    display = LossCurveDisplay.from_estimator(clf, ax=ax, name="early")
    assert display.ax_ is ax
    np.testing.assert_allclose(display.validation_loss_line_.get_ydata(),
                               clf.validation_loss_curve_)
    np.testing.assert_allclose(display.validation_score_line_.get_ydata(),
                               clf.validation_scores_)
    assert ax.get_title() == "early"


def test_loss_curve_display_needs_a_fitted_network():
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(SigmoidMLPClassifier())
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(
            make_pipeline(StandardScaler(), SigmoidMLPClassifier()))


@pytest.fixture(scope="module")
def early_stopped():
    """A network whose validation score peaks before the last epoch."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] + 0.8 * rng.normal(size=300) > 0).astype(int)
    clf = make_pipeline(StandardScaler(), SigmoidMLPClassifier(
        (30,), early_stopping=True, alpha=1.0, learning_rate_init=0.05,
        n_iter_no_change=8, max_iter=60, random_state=0)).fit(X, y)
    scores = clf[-1].validation_scores_
    assert np.argmax(scores) + 1 < len(scores)  # the kept epoch is not the last
    return clf


def test_loss_curve_display_accepts_a_pipeline_and_marks_the_kept_epoch(
        early_stopped):
    net = early_stopped[-1]
    display = LossCurveDisplay.from_estimator(early_stopped)
    np.testing.assert_allclose(display.line_.get_ydata(), net.loss_curve_)
    # early stopping kept the weights of the first epoch with the best score
    best = display.best_epoch_line_.get_xdata()[0]
    assert best == np.argmax(net.validation_scores_) + 1
    assert net.validation_scores_[best - 1] == net.best_validation_score_
    assert f"best epoch ({best}): weights kept" in [
        t.get_text() for t in display.legend_.get_texts()]
    assert display.ax_.get_xlabel() == "epoch"
    assert display.ax_.get_title() == "SigmoidMLPClassifier"


def test_loss_curve_display_says_which_curve_holds_the_penalty(early_stopped):
    display = LossCurveDisplay.from_estimator(early_stopped)
    labels = [t.get_text() for t in display.legend_.get_texts()]
    assert labels[:3] == ["training loss (with penalty)",
                          "validation loss (no penalty)", "validation score"]
    # what the labels claim: L-BFGS's curve is the data term plus α ΣW² / 2n
    rng = np.random.RandomState(1)
    X = rng.normal(size=(80, 3))
    y = X[:, 0] - X[:, 1] ** 2
    reg = SigmoidMLPRegressor((5,), solver="lbfgs", alpha=10.0, max_iter=50,
                              random_state=0).fit(X, y)
    data_term = np.mean((reg.predict(X) - y) ** 2) / 2
    penalty = 10.0 / (2 * len(X)) * sum(np.sum(W**2) for W in reg.coefs_)
    assert reg.loss_curve_[-1] == pytest.approx(data_term + penalty, rel=1e-9)
    assert penalty > 0.1 * data_term
    # without a penalty the curves are plain losses, L-BFGS's per iteration
    plain = SigmoidMLPClassifier((3,), solver="lbfgs", alpha=0.0,
                                 random_state=1).fit(X_XOR, Y_XOR)
    display = LossCurveDisplay.from_estimator(plain)
    assert [t.get_text() for t in display.legend_.get_texts()] == ["training loss"]
    assert display.ax_.get_xlabel() == "L-BFGS iteration"
    assert display.best_epoch_line_ is None


@pytest.mark.parametrize("own_axes", [False, True], ids=["new-figure", "subplot"])
def test_loss_curve_legend_covers_no_curve(early_stopped, own_axes):
    ax = None
    if own_axes:
        _, axes = plt.subplots(2, 2, figsize=(8, 6))
        ax = axes[1, 0]
    display = LossCurveDisplay.from_estimator(early_stopped, ax=ax)
    display.figure_.canvas.draw()
    box = display.legend_.get_window_extent()
    for line in (display.line_, display.validation_loss_line_,
                 display.validation_score_line_):
        path = line.get_transform().transform_path(line.get_path())
        assert not path.intersects_bbox(box, filled=False), line.get_label()
    # and the legend stays inside the axes, where no layout can cut it off
    assert display.ax_.get_window_extent().contains(*box.min)
    assert display.ax_.get_window_extent().contains(*box.max)


def test_loss_curves_of_several_networks_share_one_axes():
    # label= names each network's curve; the axes rescale for a later curve
    _, ax = plt.subplots()
    nets = [SigmoidMLPClassifier(h, solver="lbfgs", random_state=1).fit(X_XOR, Y_XOR)
            for h in [(3,), (8,)]]
    for h, net in zip(["3", "8"], nets, strict=True):
        LossCurveDisplay.from_estimator(net, ax=ax, log_scale=True, label=h)
    low = min(min(net.loss_curve_) for net in nets)
    assert ax.get_ylim()[0] <= low
    assert [line.get_label() for line in ax.get_lines()] == ["3", "8"]


@pytest.fixture(scope="module")
def two_blobs():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.normal(-3, 0.5, (50, 3)), rng.normal(3, 0.5, (50, 3))])
    return X, np.repeat(["a", "b"], 50)


@pytest.mark.parametrize("topology, n_vertices", [("rectangular", 4),
                                                   ("hexagonal", 6)])
def test_som_display_draws_one_polygon_per_unit_at_its_position(
        two_blobs, topology, n_vertices):
    X, _ = two_blobs
    som = SelfOrganizingMap(4, 5, topology=topology, random_state=0).fit(X)
    display = SOMDisplay.from_estimator(som, "umatrix")
    paths = display.collection_.get_paths()
    assert len(paths) == 20
    centres = np.array([p.vertices[:n_vertices].mean(axis=0) for p in paths])
    np.testing.assert_allclose(centres, som.unit_coordinates_, atol=1e-12)
    np.testing.assert_allclose(display.collection_.get_array(),
                               som.umatrix().ravel())
    # row 0 is drawn on top
    assert display.ax_.get_ylim()[0] > display.ax_.get_ylim()[1]


def test_hexagons_tile_the_hexagonal_map_without_overlap(two_blobs):
    X, _ = two_blobs
    som = SelfOrganizingMap(3, 3, topology="hexagonal", random_state=0).fit(X)
    display = SOMDisplay.from_estimator(som, "hits")
    hexagon = display.collection_.get_paths()[0].vertices[:6]
    # neighbours are 1 apart: the hexagon is 1 wide between flat sides
    assert np.ptp(hexagon[:, 0]) == pytest.approx(1.0)
    np.testing.assert_allclose(display.collection_.get_array(), som.hits_)


def test_som_display_labels_units_with_their_majority_label(two_blobs):
    X, y = two_blobs
    som = SelfOrganizingMap(4, 5, random_state=0).fit(X)
    display = SOMDisplay.from_estimator(som, "hits", X=X, y=y)
    bmu = som.best_matching_unit(X)
    texts = {(t.get_position()): t.get_text() for t in display.texts_}
    assert len(texts) == len(np.unique(bmu))
    for unit in np.unique(bmu):
        expected = "a" if bmu[y == "a"].tolist().count(unit) else "b"
        assert texts[tuple(som.unit_coordinates_[unit])] == expected


def test_som_display_codebook_paints_units_in_their_own_colour():
    rng = np.random.RandomState(0)
    som = SelfOrganizingMap(5, 6, random_state=0).fit(rng.uniform(0, 1, (200, 3)))
    display = SOMDisplay.from_estimator(som, "codebook")
    np.testing.assert_allclose(display.collection_.get_facecolor()[:, :3],
                               np.clip(som.codebook_, 0, 1))
    assert display.colorbar_ is None


def test_som_display_component_and_clusters(two_blobs):
    X, _ = two_blobs
    som = SelfOrganizingMap(4, 5, n_clusters=2, random_state=0).fit(X)
    component = SOMDisplay.from_estimator(som, "component", feature=2)
    np.testing.assert_allclose(component.collection_.get_array(), som.codebook_[:, 2])
    clusters = SOMDisplay.from_estimator(som, "clusters")
    np.testing.assert_array_equal(clusters.collection_.get_array(), som.unit_labels_)


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "codebook"}, "3 \\(RGB\\) or 4 \\(RGBA\\) features"),
    ({"kind": "clusters"}, "n_clusters"),
    ({"kind": "component"}, "needs the feature"),
    ({"kind": "component", "feature": 7}, "feature must be in"),
    ({"kind": "component", "feature": "petal"}, "without feature names"),
    ({"kind": "component", "feature": 1.9}, "integer index or a feature name"),
    ({"kind": "component", "feature": True}, "integer index or a feature name"),
    ({"kind": "nope"}, "kind must be one of"),
])
def test_som_display_rejects_what_it_cannot_draw(kwargs, match):
    X = load_iris().data[:, :2]  # two features: neither RGB nor RGBA
    som = SelfOrganizingMap(3, 4, random_state=0).fit(X)
    with pytest.raises(ValueError, match=match):
        SOMDisplay.from_estimator(som, **kwargs)


def test_component_planes_one_plane_per_feature_by_name():
    pytest.importorskip("pandas")
    iris = load_iris(as_frame=True)
    som = SelfOrganizingMap(5, 6, topology="hexagonal", random_state=0).fit(iris.data)
    names = ["petal length (cm)", "sepal width (cm)"]
    display = ComponentPlanesDisplay.from_estimator(som, features=names)
    assert [d.ax_.get_title() for d in display.displays_] == names
    np.testing.assert_allclose(display.displays_[0].collection_.get_array(),
                               som.codebook_[:, 2])
    all_planes = ComponentPlanesDisplay.from_estimator(som, n_cols=3)
    assert all_planes.axes_.shape == (2, 3)
    assert not all_planes.axes_[1, 2].get_visible()


def test_som_display_needs_one_label_per_sample(two_blobs):
    X, y = two_blobs
    som = SelfOrganizingMap(4, 5, random_state=0).fit(X)
    with pytest.raises(ValueError, match="one label per sample of X"):
        SOMDisplay.from_estimator(som, "umatrix", X=X, y=y[:-10])
    with pytest.raises(ValueError, match="one label per sample of X"):
        SOMDisplay.from_estimator(som, "umatrix", X=X[:60], y=y)


def test_som_display_draws_clusters_as_many_as_units():
    # n_clusters equal to the number of units is a grouping like any other
    X = np.random.RandomState(0).uniform(size=(200, 2))  # every unit wins
    som = SelfOrganizingMap(2, 2, n_clusters=4, random_state=0).fit(X)
    display = SOMDisplay.from_estimator(som, "clusters")
    np.testing.assert_array_equal(display.collection_.get_array(), som.unit_labels_)
    # and a map trained without n_clusters is refused even after set_params
    som = SelfOrganizingMap(2, 2, random_state=0).fit(X).set_params(n_clusters=2)
    with pytest.raises(ValueError, match="trained with n_clusters"):
        SOMDisplay.from_estimator(som, "clusters")


@pytest.mark.parametrize("kind", ["umatrix", "hits", "clusters"])
def test_som_display_draws_the_fitted_grid_after_set_params(two_blobs, kind):
    X, _ = two_blobs
    som = SelfOrganizingMap(4, 5, n_clusters=2, random_state=0).fit(X)
    before = SOMDisplay.from_estimator(som, kind)
    som.set_params(topology="hexagonal", periodic=True, n_clusters=None)
    after = SOMDisplay.from_estimator(som, kind)
    for a, b in zip(before.collection_.get_paths(), after.collection_.get_paths(),
                    strict=True):
        np.testing.assert_array_equal(a.vertices, b.vertices)
        assert len(b.vertices) == 5  # a closed square, not a hexagon
    np.testing.assert_array_equal(after.collection_.get_array(),
                                  before.collection_.get_array())
    planes = ComponentPlanesDisplay.from_estimator(som)
    assert len(planes.displays_[0].collection_.get_paths()[0].vertices) == 5


def test_umatrix_draws_borders_dark_as_its_docstring_says(two_blobs):
    # high values (borders between clusters) dark, low values (interiors) light
    X, _ = two_blobs
    som = SelfOrganizingMap(4, 5, random_state=0).fit(X)
    display = SOMDisplay.from_estimator(som, "umatrix")
    display.collection_.update_scalarmappable()
    rgb = display.collection_.get_facecolor()[:, :3]
    luminance = rgb @ [0.2126, 0.7152, 0.0722]
    u = som.umatrix().ravel()
    assert luminance[np.argmax(u)] < 0.5 < luminance[np.argmin(u)]
    assert np.corrcoef(u, luminance)[0, 1] < -0.9
    assert "dark" in SOMDisplay.from_estimator.__doc__


@pytest.fixture(scope="module")
def iris_pipeline():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SelfOrganizingMap(4, 5, n_clusters=3,
                                                             random_state=0))
    return pipe.fit(X), X, y


def test_som_display_on_a_pipeline_passes_x_through_the_first_steps(iris_pipeline):
    pipe, X, y = iris_pipeline
    som, X_seen = pipe[-1], pipe[:-1].transform(X)
    display = SOMDisplay.from_estimator(pipe, "hits", X=X, y=y)
    np.testing.assert_array_equal(display.collection_.get_array(),
                                  som.hit_map(X_seen).ravel())
    assert not np.array_equal(som.hit_map(X_seen), som.hit_map(X))
    units = som.best_matching_unit(X_seen)
    texts = {t.get_position(): t.get_text() for t in display.texts_}
    assert len(texts) == len(np.unique(units))
    for kind in ("umatrix", "clusters"):
        SOMDisplay.from_estimator(pipe, kind)  # no false NotFittedError
    with pytest.raises(NotFittedError):
        SOMDisplay.from_estimator(make_pipeline(StandardScaler(),
                                                SelfOrganizingMap(2, 2)))


def test_component_planes_of_a_pipeline_are_named_by_its_first_steps(
        iris_pipeline):
    pipe, X, _ = iris_pipeline
    display = ComponentPlanesDisplay.from_estimator(pipe)
    assert [d.ax_.get_title() for d in display.displays_] == ["x0", "x1", "x2",
                                                              "x3"]
    # the names of what the map sees, not of the raw columns
    reduced = make_pipeline(StandardScaler(), PCA(2),
                            SelfOrganizingMap(3, 3, random_state=0)).fit(X)
    display = ComponentPlanesDisplay.from_estimator(reduced)
    assert [d.ax_.get_title() for d in display.displays_] == ["pca0", "pca1"]
    component = SOMDisplay.from_estimator(reduced, "component", feature="pca1")
    np.testing.assert_array_equal(component.collection_.get_array(),
                                  reduced[-1].codebook_[:, 1])
    assert component.ax_.get_title() == "component pca1"


def test_component_planes_take_the_names_given_or_the_fitted_ones():
    pytest.importorskip("pandas")
    iris = load_iris(as_frame=True)
    pipe = make_pipeline(StandardScaler().set_output(transform="pandas"),
                         SelfOrganizingMap(3, 3, random_state=0)).fit(iris.data)
    names = list(iris.data.columns)
    display = ComponentPlanesDisplay.from_estimator(pipe, features=names[2:])
    assert [d.ax_.get_title() for d in display.displays_] == names[2:]
    # a map alone, fitted on an array: the given names title the planes
    som = SelfOrganizingMap(3, 3, random_state=0).fit(iris.data.to_numpy())
    given = ["a", "b", "c", "d"]
    display = ComponentPlanesDisplay.from_estimator(som, feature_names=given,
                                                    features=["d", 0])
    assert [d.ax_.get_title() for d in display.displays_] == ["d", "a"]
    np.testing.assert_array_equal(display.displays_[0].collection_.get_array(),
                                  som.codebook_[:, 3])
    with pytest.raises(ValueError, match="one name per input feature of the map"):
        ComponentPlanesDisplay.from_estimator(som, feature_names=given[:3])
    with pytest.raises(ValueError, match="or the names as feature_names"):
        SOMDisplay.from_estimator(som, "component", feature="d")
