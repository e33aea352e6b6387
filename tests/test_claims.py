from auxlib import claims


def test_the_papers_own_fig3_meets_the_papers_bars_but_not_the_stricter_aim():
    paper = {"reconstruction": 0.86, "z_l resampled": 0.80, "z_g resampled": 0.11}
    checks = claims.fig3_checks(paper, classifier=0.95, chance=0.19)
    assert list(checks.values()) == [True, True, True, True, True, False, False]
    assert list(checks)[3] == "(ii) within 6 points of (i)"


def test_a_clean_split_meets_every_check_and_a_leaky_one_fails_the_split_checks():
    clean = claims.fig3_checks({"reconstruction": 0.92, "z_l resampled": 0.91, "z_g resampled": 0.13},
                               classifier=0.97, chance=0.12)
    assert all(clean.values())
    leaky = claims.fig3_checks({"reconstruction": 0.92, "z_l resampled": 0.70, "z_g resampled": 0.60},
                               classifier=0.97, chance=0.12)
    failed = [name for name, ok in leaky.items() if not ok]
    assert failed == ["(ii) z_l resampled >= 80%", "(ii) within 6 points of (i)", "(iii) z_g resampled <= 15%",
                      "(ii) within 2 points of (i) (cleaner than the paper)",
                      "(iii) within 2 points of chance (cleaner than the paper)"]
