using System;
using Strider.Data;

namespace Strider.Training;

public sealed partial class Trainer<TIn, TOut>
{
    /// <summary>Loss and accuracy over <paramref name="data"/> in inference mode, without changing any weight.</summary>
    public Evaluation Evaluate(Dataset data)
    {
        double lossSum = 0;
        long correct = 0, counted = 0;
        int seen = 0;
        EvaluationPass(data, (output, batches) =>
        {
            lossSum += (double)ComputeLoss(output, batches) * batches.Size;
            if (IsClassifier) CountCorrect(output, batches.Labels, ref correct, ref counted);
            seen += batches.Size;
        });
        return new Evaluation(lossSum / seen, IsClassifier ? (double)correct / Math.Max(1, counted) : null, seen);
    }

    /// <summary>
    /// Accuracy, top-<paramref name="topK"/> accuracy and the confusion matrix of a classifier over
    /// <paramref name="data"/>, in inference mode (labels of -1 are skipped).
    /// </summary>
    public ClassificationMetrics EvaluateClassifier(Dataset data, int topK = 5)
    {
        if (!IsClassifier) throw new InvalidOperationException($"Classification metrics need a classifier's loss (SoftmaxCrossEntropy or CrossEntropy); this trainer minimises {_loss}.");
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "k must be at least 1.");
        int[,]? confusion = null;
        long correct = 0, correctTopK = 0, counted = 0;
        EvaluationPass(data, (output, batches) =>
        {
            int classes = output.Dim(0);
            int inner = (int)(output.ItemSize / classes);
            confusion ??= new int[classes, classes];
            var y = Download(output);
            var counts = Metrics.Accumulate(y, batches.Labels, output.Batch, classes, inner, topK, confusion);
            correct += counts.Correct;
            correctTopK += counts.CorrectTopK;
            counted += counts.Counted;
        });
        double Fraction(long k) => counted == 0 ? 0 : (double)k / counted;
        return new ClassificationMetrics(Fraction(correct), Fraction(correctTopK), topK, confusion!, (int)counted);
    }

    private void EvaluationPass(Dataset data, Action<Tensor<TOut>, IBatchSource> visit)
    {
        CheckDataset(data, nameof(data));
        if (!ReferenceEquals(_evalData, data))
        {
            _evalData = data;
            _evalBatches = new MiniBatches(data, _batchSize, _seed, shuffle: false);
        }
        var batches = _evalBatches!;
        bool wasTraining = _network.Training;
        _network.Training = false;
        try
        {
            batches.StartEpoch();
            while (batches.MoveNext())
            {
                Upload(batches);
                visit(_network.Forward(_input!), batches);
            }
        }
        finally
        {
            _network.Training = wasTraining;
        }
    }

    private ReadOnlySpan<float> Download(Tensor<TOut> output)
    {
        int length = checked((int)output.Length);
        if (_hostOutput.Length < length) _hostOutput = new float[length];
        var y = _hostOutput.AsSpan(0, length);
        output.Buffer.Download(y);
        return y;
    }

    private void CountCorrect(Tensor<TOut> output, ReadOnlySpan<int> labels, ref long correct, ref long counted)
    {
        int classes = output.Dim(0);
        var counts = Metrics.Accumulate(Download(output), labels, output.Batch, classes, (int)(output.ItemSize / classes), 1, null);
        correct += counts.Correct;
        counted += counts.Counted;
    }
}
