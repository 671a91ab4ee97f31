using System;

namespace Strider.Training;

/// <summary>A classifier's metrics over a dataset: accuracy, top-k accuracy and the confusion matrix [true, predicted].</summary>
public sealed record ClassificationMetrics(double Accuracy, double TopKAccuracy, int K, int[,] ConfusionMatrix, int Count);

/// <summary>Classification metrics from class scores (logits or probabilities) laid out [n, classes, inner].</summary>
public static class Metrics
{
    /// <summary>Counts of one batch: correct at top 1, correct within the top k, and labelled positions counted.</summary>
    public readonly record struct Counts(long Correct, long CorrectTopK, long Counted);

    /// <summary>
    /// Counts the positions whose label (not -1) is the highest score (ties go to the lower class, as argmax) and
    /// those whose label is among the <paramref name="k"/> highest (a class ranks above the label when its score is
    /// strictly higher, or equal with a lower index); adds each position to <paramref name="confusion"/>[label, predicted] when given.
    /// </summary>
    public static Counts Accumulate(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int n, int classes, int inner, int k, int[,]? confusion)
    {
        if (classes < 1 || inner < 1 || n < 0) throw new ArgumentOutOfRangeException(nameof(classes), $"Scores of {n} x {classes} classes x {inner} positions are not valid.");
        if (scores.Length < (long)n * classes * inner) throw new ArgumentException($"{scores.Length} scores cannot hold {n} x {classes} x {inner}.", nameof(scores));
        if (labels.Length < (long)n * inner) throw new ArgumentException($"{labels.Length} labels cannot cover {n} x {inner} positions.", nameof(labels));
        if (confusion is not null && (confusion.GetLength(0) != classes || confusion.GetLength(1) != classes))
            throw new ArgumentException($"The confusion matrix is {confusion.GetLength(0)} x {confusion.GetLength(1)}; the scores have {classes} classes.", nameof(confusion));
        long correct = 0, correctTopK = 0, counted = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = labels[b * inner + i];
                if (label < 0) continue;
                if (label >= classes) throw new ArgumentOutOfRangeException(nameof(labels), label, $"A label must be in 0..{classes - 1} (or -1 to ignore).");
                long first = (long)b * classes * inner + i;
                int best = 0;
                float bestValue = scores[(int)first];
                for (int c = 1; c < classes; c++)
                {
                    float v = scores[(int)(first + (long)c * inner)];
                    if (v > bestValue)
                    {
                        bestValue = v;
                        best = c;
                    }
                }
                float labelScore = scores[(int)(first + (long)label * inner)];
                int above = 0;
                for (int c = 0; c < classes; c++)
                {
                    float v = scores[(int)(first + (long)c * inner)];
                    if (v > labelScore || (v == labelScore && c < label)) above++;
                }
                counted++;
                if (best == label) correct++;
                if (above < k) correctTopK++;
                if (confusion is not null) confusion[label, best]++;
            }
        return new Counts(correct, correctTopK, counted);
    }
}
