#!/bin/sh
# Writes a starting corpus for every target under $1 (default /tmp/takehome-fuzz/corpus),
# made from the repository's own files: nothing here is committed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=${1:-/tmp/takehome-fuzz/corpus}
for target in archive folder_tree assignment_toml submission_toml markdown notebook pdf scoring program_result rerun_diff; do
    mkdir -p "$out/$target"
done
strong="$repo/assignments/churn/examples/strong"
(cd "$strong" && zip -q -r "$out/archive/strong.zip" .)
tar -C "$strong" -czf "$out/archive/strong.tar.gz" .
for a in "$repo"/assignments/*/; do
    name=$(basename "$a")
    cp "$a/assignment.toml" "$out/assignment_toml/$name.toml"
    cp "$a/brief.md" "$out/markdown/$name-brief.md"
    for s in "$a"/examples/*/; do
        [ -f "$s/submission.toml" ] && cp "$s/submission.toml" "$out/submission_toml/$name-$(basename "$s").toml"
        [ -f "$s/REPORT.md" ] && cp "$s/REPORT.md" "$out/markdown/$name-$(basename "$s").md"
    done
done
find "$repo/assignments" "$repo/tests" -name '*.ipynb' -size -64k -exec cp {} "$out/notebook/" \; 2>/dev/null || true
printf '{"cells":[{"cell_type":"markdown","source":["# Results\\n","ROC AUC 0.81"]},{"cell_type":"code","source":"print(1)","outputs":[{"output_type":"stream","name":"stdout","text":"1\\n"}],"execution_count":1,"metadata":{}}],"metadata":{},"nbformat":4,"nbformat_minor":5}' > "$out/notebook/tiny.ipynb"
printf '%%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 20 100 Td (ROC AUC 0.81) Tj ET\nendstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n' > "$out/pdf/tiny.pdf"
# Scoring: the metric byte, the truth, 0xFF, the predictions.
truth="id,target\na,1\nb,0\nc,1\nd,0\n"
pred="id,prediction\na,0.9\nb,0.2\nc,0.6\nd,0.4\n"
for m in 0 1 2 3 4 5 6; do
    { printf "$(printf '\\%03o' $((m + 48)))"; printf "$truth"; printf '\377'; printf "$pred"; } > "$out/scoring/metric$m"
done
printf '0.8125' > "$out/program_result/number"
printf '{"value": 0.5, "details": [{"name": "rows lost", "count": 2, "examples": ["a", "b"]}]}' > "$out/program_result/object"
{ printf "$pred"; printf '\377'; printf "id,prediction\na,0.90\nb,0.25\nc,0.6\nd,0.4\n"; } > "$out/rerun_diff/csv"
{ printf '{"auc": 0.81, "n": [1, 2]}'; printf '\377'; printf '{"auc": 0.810000001, "n": [1, 3]}'; } > "$out/rerun_diff/json"
{ printf 'line one\nline two\n'; printf '\377'; printf 'line one\nline 2\n'; } > "$out/rerun_diff/text"
echo "$out"
