//! Known API changes that break code written for an older library: the one table of them,
//! matched against a failure's error (`ename: evalue`). Each entry names the library, the
//! version the code was likely written for, and the change.

/// One known change, recognised by its error.
#[derive(Debug)]
pub struct Change {
    pub library: &'static str,
    /// The versions the failing code was likely written for (`<3`).
    pub written_for: &'static str,
    /// What changed, and what the code should do now.
    pub change: &'static str,
    /// The exception's name, when the change always raises the same one.
    ename: Option<&'static str>,
    /// Every one of these must be in the error's message.
    needles: &'static [&'static str],
}

impl Change {
    fn matches(&self, ename: &str, evalue: &str) -> bool {
        self.ename.is_none_or(|e| e == ename) && self.needles.iter().all(|n| evalue.contains(n))
    }
}

/// The older versions a run's `version_drift` diagnostics name, as requirements
/// (`pandas<3`), one per library, in the order found.
pub fn older_versions(diagnostics: &[crate::record::Diagnostic]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for diagnostic in diagnostics
        .iter()
        .filter(|d| d.kind == crate::record::DiagnosticKind::VersionDrift)
    {
        let change = KNOWN.iter().find(|c| {
            c.library == diagnostic.detail
                && diagnostic
                    .message
                    .contains(&format!("written for {} {}:", c.library, c.written_for))
        });
        if let Some(change) = change
            && !found.iter().any(|f| f.starts_with(change.library))
        {
            found.push(format!("{}{}", change.library, change.written_for));
        }
    }
    found
}

/// The first known change that explains the error `ename: evalue`.
pub fn explain(ename: &str, evalue: &str) -> Option<&'static Change> {
    KNOWN.iter().find(|c| c.matches(ename, evalue))
}

const fn change(
    library: &'static str,
    written_for: &'static str,
    change: &'static str,
    ename: Option<&'static str>,
    needles: &'static [&'static str],
) -> Change {
    Change {
        library,
        written_for,
        change,
        ename,
        needles,
    }
}

const ATTR: Option<&str> = Some("AttributeError");
const IMPORT: Option<&str> = Some("ImportError");
const NO_MODULE: Option<&str> = Some("ModuleNotFoundError");
const TYPE: Option<&str> = Some("TypeError");

pub static KNOWN: &[Change] = &[
    // pandas 3.0: text columns are the `str` dtype; copy-on-write; removed methods and aliases.
    change(
        "pandas",
        "<3",
        "pandas 3.0 reads text columns as the `str` dtype, which numeric reductions refuse: select the numeric columns first (`df.select_dtypes('number')` or `numeric_only=True`)",
        Some("TypeError"),
        &["with string dtype"],
    ),
    change(
        "pandas",
        "<3",
        "pandas 3.0 reads text columns as the `str` dtype, which cannot be interpolated: interpolate the numeric columns only",
        None,
        &["Cannot interpolate with str dtype"],
    ),
    change(
        "pandas",
        "<3",
        "pandas 3.0 reads text columns as the `str` dtype, which holds only strings or missing values: convert the column first (`astype(object)` or to a number)",
        None,
        &["for dtype 'str'"],
    ),
    change(
        "pandas",
        "<3",
        "pandas 3.0 reads text columns as the `str` dtype: a numeric operation on it fails; convert with `pd.to_numeric` or select numeric columns",
        Some("TypeError"),
        &["dtype 'str'"],
    ),
    change(
        "pandas",
        "<3",
        "`DataFrame.applymap` was removed in pandas 3.0: use `DataFrame.map`",
        ATTR,
        &["has no attribute 'applymap'"],
    ),
    change(
        "pandas",
        "<2",
        "`DataFrame.append` was removed in pandas 2.0: use `pd.concat`",
        ATTR,
        &["has no attribute 'append'"],
    ),
    change(
        "pandas",
        "<2",
        "`iteritems` was removed in pandas 2.0: use `items`",
        ATTR,
        &["has no attribute 'iteritems'"],
    ),
    change(
        "pandas",
        "<3",
        "the frequency aliases `M`, `Q`, `Y` (and `H`, `T`, `S`) were removed in pandas 3.0: use `ME`, `QE`, `YE` (and `h`, `min`, `s`)",
        None,
        &["Invalid frequency"],
    ),
    change(
        "pandas",
        "<3",
        "the frequency aliases `M`, `Q`, `Y` (and `H`, `T`, `S`) were removed in pandas 3.0: use `ME`, `QE`, `YE` (and `h`, `min`, `s`)",
        None,
        &["is no longer supported", "freq"],
    ),
    change(
        "pandas",
        "<3",
        "`Series.swapaxes`, `DataFrame.swapaxes` were removed in pandas 3.0: use `transpose`",
        ATTR,
        &["has no attribute 'swapaxes'"],
    ),
    change(
        "pandas",
        "<3",
        "pandas 3.0 uses copy-on-write: chained assignment (`df['a'][0] = 1`) no longer changes `df`; use `df.loc[0, 'a'] = 1`",
        None,
        &["ChainedAssignment"],
    ),
    change(
        "pandas",
        "<2",
        "`mad` was removed in pandas 2.0: compute `(s - s.mean()).abs().mean()`",
        ATTR,
        &["has no attribute 'mad'"],
    ),
    change(
        "pandas",
        "<2",
        "`pandas.datetime`/`pandas.np` were removed in pandas 2.0: import `datetime`/`numpy` directly",
        ATTR,
        &["module 'pandas' has no attribute"],
    ),
    change(
        "pandas",
        "<2",
        "`DataFrame.groupby(...).mean()` no longer drops text columns silently since pandas 2.0: pass `numeric_only=True`",
        Some("TypeError"),
        &["agg function failed"],
    ),
    // scikit-learn: removed modules, classes and parameters.
    change(
        "scikit-learn",
        "<0.20",
        "`sklearn.cross_validation` was removed in scikit-learn 0.20: use `sklearn.model_selection`",
        NO_MODULE,
        &["sklearn.cross_validation"],
    ),
    change(
        "scikit-learn",
        "<0.20",
        "`sklearn.grid_search` was removed in scikit-learn 0.20: use `sklearn.model_selection`",
        NO_MODULE,
        &["sklearn.grid_search"],
    ),
    change(
        "scikit-learn",
        "<0.22",
        "`sklearn.preprocessing.Imputer` was removed in scikit-learn 0.22: use `sklearn.impute.SimpleImputer`",
        IMPORT,
        &["cannot import name 'Imputer'"],
    ),
    change(
        "scikit-learn",
        "<0.23",
        "`sklearn.externals.joblib` was removed in scikit-learn 0.23: `import joblib`",
        None,
        &["sklearn.externals"],
    ),
    change(
        "scikit-learn",
        "<1.2",
        "`load_boston` was removed in scikit-learn 1.2",
        IMPORT,
        &["load_boston"],
    ),
    change(
        "scikit-learn",
        "<1.2",
        "`plot_confusion_matrix`, `plot_roc_curve` and `plot_precision_recall_curve` were removed in scikit-learn 1.2: use `ConfusionMatrixDisplay.from_estimator` and the other `*Display` classes",
        IMPORT,
        &["cannot import name 'plot_"],
    ),
    change(
        "scikit-learn",
        "<1.2",
        "`get_feature_names` was removed in scikit-learn 1.2: use `get_feature_names_out`",
        ATTR,
        &["has no attribute 'get_feature_names'"],
    ),
    change(
        "scikit-learn",
        "<1.4",
        "`OneHotEncoder(sparse=...)` became `sparse_output=...` (scikit-learn 1.2, removed in 1.4)",
        TYPE,
        &["unexpected keyword argument 'sparse'"],
    ),
    change(
        "scikit-learn",
        "<1.2",
        "`normalize=` was removed from the linear models in scikit-learn 1.2: put a `StandardScaler` in a `Pipeline`",
        TYPE,
        &["unexpected keyword argument 'normalize'"],
    ),
    change(
        "scikit-learn",
        "<1.6",
        "`mean_squared_error(squared=False)` was removed in scikit-learn 1.6: use `root_mean_squared_error`",
        TYPE,
        &["unexpected keyword argument 'squared'"],
    ),
    change(
        "scikit-learn",
        "<1.4",
        "`base_estimator=` became `estimator=` (scikit-learn 1.2, removed in 1.4)",
        TYPE,
        &["unexpected keyword argument 'base_estimator'"],
    ),
    change(
        "scikit-learn",
        "<1.3",
        "`max_features='auto'` was removed from the tree ensembles in scikit-learn 1.3: use `'sqrt'` (classifiers) or `1.0` (regressors)",
        None,
        &["'max_features' parameter", "'auto'"],
    ),
    change(
        "scikit-learn",
        "<1.3",
        "the `'log'` loss of `SGDClassifier` became `'log_loss'` in scikit-learn 1.1 and was removed in 1.3",
        None,
        &["'loss' parameter", "'log'"],
    ),
    change(
        "scikit-learn",
        "<1.4",
        "`multi_class=` and the liblinear/`penalty` combinations of `LogisticRegression` changed in scikit-learn 1.5-1.8",
        TYPE,
        &["unexpected keyword argument 'multi_class'"],
    ),
    change(
        "scikit-learn",
        "<1.8",
        "`penalty=` of `LogisticRegression` was replaced by `l1_ratio` in scikit-learn 1.8",
        TYPE,
        &["unexpected keyword argument 'penalty'"],
    ),
    // NumPy: aliases removed in 1.24 and 2.0.
    change(
        "numpy",
        "<1.24",
        "`np.float`, `np.int`, `np.bool`, `np.object` and `np.str` were removed in NumPy 1.24: use `float`, `int`, `bool`, `object`, `str`",
        ATTR,
        &["module 'numpy' has no attribute", "`np."],
    ),
    change(
        "numpy",
        "<2",
        "NumPy 2.0 removed aliases such as `np.NaN`, `np.Inf`, `np.float_`, `np.product`, `np.asfarray`: use `np.nan`, `np.inf`, `np.float64`, `np.prod`",
        ATTR,
        &["was removed in the NumPy 2.0 release"],
    ),
    change(
        "numpy",
        "<2",
        "NumPy 2.0 removed or renamed this name (the 2.0 migration guide lists the replacement)",
        ATTR,
        &["module 'numpy' has no attribute"],
    ),
    // matplotlib and seaborn.
    change(
        "matplotlib",
        "<3.6",
        "the `seaborn` styles were renamed `seaborn-v0_8` in matplotlib 3.6 and removed later",
        None,
        &["is not a valid package style"],
    ),
    change(
        "matplotlib",
        "<3.6",
        "the `seaborn` styles were renamed `seaborn-v0_8` in matplotlib 3.6 and removed later",
        None,
        &["not found in the style library", "seaborn"],
    ),
    change(
        "seaborn",
        "<0.12",
        "`distplot` was removed in seaborn 0.14: use `histplot` or `displot`",
        ATTR,
        &["has no attribute 'distplot'"],
    ),
    change(
        "seaborn",
        "<0.12",
        "seaborn 0.12 takes its data arguments by keyword: `sns.barplot(x=..., y=...)`",
        TYPE,
        &["takes from 0 to 1 positional arguments"],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// One real error per entry, as the library raises it today: each is explained by
    /// exactly its own entry (the first that matches).
    const SEEN: &[(&str, &str, usize)] = &[
        (
            "TypeError",
            "Cannot perform reduction 'std' with string dtype",
            0,
        ),
        ("TypeError", "Cannot interpolate with str dtype", 1),
        ("TypeError", "Invalid value 'abc' for dtype 'str'", 2),
        (
            "TypeError",
            "unsupported operand type(s) for -: 'float' and 'str' in dtype 'str'",
            3,
        ),
        (
            "AttributeError",
            "'DataFrame' object has no attribute 'applymap'",
            4,
        ),
        (
            "AttributeError",
            "'DataFrame' object has no attribute 'append'",
            5,
        ),
        (
            "AttributeError",
            "'DataFrame' object has no attribute 'iteritems'",
            6,
        ),
        (
            "ValueError",
            "Invalid frequency: M. Failed to parse with error message: ValueError(\"for Period, please use 'M' instead of 'ME'\")",
            7,
        ),
        (
            "ValueError",
            "'M' is no longer supported for offsets. Please use 'ME' instead. (freq)",
            8,
        ),
        (
            "AttributeError",
            "'DataFrame' object has no attribute 'swapaxes'",
            9,
        ),
        (
            "ValueError",
            "ChainedAssignmentError: behaviour will change in pandas 3.0",
            10,
        ),
        (
            "AttributeError",
            "'Series' object has no attribute 'mad'",
            11,
        ),
        (
            "AttributeError",
            "module 'pandas' has no attribute 'datetime'",
            12,
        ),
        (
            "TypeError",
            "agg function failed [how->mean,dtype->object]",
            13,
        ),
        (
            "ModuleNotFoundError",
            "No module named 'sklearn.cross_validation'",
            14,
        ),
        (
            "ModuleNotFoundError",
            "No module named 'sklearn.grid_search'",
            15,
        ),
        (
            "ImportError",
            "cannot import name 'Imputer' from 'sklearn.preprocessing'",
            16,
        ),
        (
            "ModuleNotFoundError",
            "No module named 'sklearn.externals.joblib'",
            17,
        ),
        (
            "ImportError",
            "cannot import name 'load_boston' from 'sklearn.datasets'",
            18,
        ),
        (
            "ImportError",
            "cannot import name 'plot_confusion_matrix' from 'sklearn.metrics'",
            19,
        ),
        (
            "AttributeError",
            "'OneHotEncoder' object has no attribute 'get_feature_names'",
            20,
        ),
        (
            "TypeError",
            "OneHotEncoder.__init__() got an unexpected keyword argument 'sparse'",
            21,
        ),
        (
            "TypeError",
            "LinearRegression.__init__() got an unexpected keyword argument 'normalize'",
            22,
        ),
        (
            "TypeError",
            "got an unexpected keyword argument 'squared'",
            23,
        ),
        (
            "TypeError",
            "AdaBoostClassifier.__init__() got an unexpected keyword argument 'base_estimator'",
            24,
        ),
        (
            "InvalidParameterError",
            "The 'max_features' parameter of RandomForestClassifier must be an int, a float, a str among {'sqrt', 'log2'} or None. Got 'auto' instead.",
            25,
        ),
        (
            "InvalidParameterError",
            "The 'loss' parameter of SGDClassifier must be a str among {...}. Got 'log' instead.",
            26,
        ),
        (
            "TypeError",
            "LogisticRegression.__init__() got an unexpected keyword argument 'multi_class'",
            27,
        ),
        (
            "TypeError",
            "LogisticRegression.__init__() got an unexpected keyword argument 'penalty'",
            28,
        ),
        (
            "AttributeError",
            "module 'numpy' has no attribute 'float'.\n`np.float` was a deprecated alias for the builtin `float`.",
            29,
        ),
        (
            "AttributeError",
            "`np.NaN` was removed in the NumPy 2.0 release. Use `np.nan` instead.",
            30,
        ),
        (
            "AttributeError",
            "module 'numpy' has no attribute 'asscalar'",
            31,
        ),
        (
            "OSError",
            "'seaborn' is not a valid package style, path of style file, URL of style file, or library style name (library styles are listed in `style.available`)",
            32,
        ),
        (
            "OSError",
            "'seaborn-whitegrid' not found in the style library",
            33,
        ),
        (
            "AttributeError",
            "module 'seaborn' has no attribute 'distplot'",
            34,
        ),
        (
            "TypeError",
            "barplot() takes from 0 to 1 positional arguments but 2 were given",
            35,
        ),
    ];

    #[test]
    fn every_entry_explains_its_own_error_and_no_other() {
        assert_eq!(SEEN.len(), KNOWN.len(), "one real error per entry");
        for (ename, evalue, index) in SEEN {
            let found = explain(ename, evalue)
                .unwrap_or_else(|| panic!("{ename}: {evalue} is not explained"));
            let position = KNOWN.iter().position(|c| std::ptr::eq(c, found)).unwrap();
            assert_eq!(position, *index, "{ename}: {evalue} → {}", found.change);
        }
    }

    #[test]
    fn ordinary_errors_are_not_blamed_on_a_version() {
        for (ename, evalue) in [
            ("KeyError", "'churned'"),
            ("AttributeError", "'NoneType' object has no attribute 'fit'"),
            (
                "TypeError",
                "unsupported operand type(s) for +: 'int' and 'str'",
            ),
            ("ValueError", "could not convert string to float: 'abc'"),
        ] {
            assert!(explain(ename, evalue).is_none(), "{ename}: {evalue}");
        }
    }
}
