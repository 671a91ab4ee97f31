using Strider.Devices;
using Strider.Devices.Cpu;

namespace Strider.Runtime.Tests.Reference;

// The losses.
public sealed partial class ReferenceDevice
{
    private static int CountLabels(int n, int classes, int inner, int[] labels)
    {
        int count = 0;
        for (long i = 0; i < (long)n * inner; i++)
        {
            if (labels[i] == -1) continue;
            if (labels[i] < 0 || labels[i] >= classes)
                throw new ArgumentOutOfRangeException(nameof(labels), labels[i], $"Label at {i} must be in [0, {classes}) or -1 (ignored).");
            count++;
        }
        return count;
    }

    public override float SoftmaxCrossEntropy(int n, int classes, int inner, DeviceBuffer<float> logits, DeviceBuffer<int> labels, DeviceBuffer<float> dlogits)
    {
        var X = A(logits); var L = A(labels); var D = A(dlogits);
        int count = CountLabels(n, classes, inner, L);
        double loss = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = L[(long)b * inner + i];
                double max = double.NegativeInfinity;
                for (int c = 0; c < classes; c++) max = Math.Max(max, X[((long)b * classes + c) * inner + i]);
                double sum = 0;
                for (int c = 0; c < classes; c++) sum += Math.Exp(X[((long)b * classes + c) * inner + i] - max);
                if (label >= 0) loss += max + Math.Log(sum) - X[((long)b * classes + label) * inner + i];
                for (int c = 0; c < classes; c++)
                {
                    long j = ((long)b * classes + c) * inner + i;
                    D[j] = label < 0 ? 0f : (float)((Math.Exp(X[j] - max) / sum - (c == label ? 1 : 0)) / count);
                }
            }
        return count == 0 ? 0f : (float)(loss / count);
    }

    public override float CrossEntropyFromProbabilities(int n, int classes, int inner, DeviceBuffer<float> probabilities, DeviceBuffer<int> labels, DeviceBuffer<float> dprobabilities)
    {
        var P = A(probabilities); var L = A(labels); var D = A(dprobabilities);
        int count = CountLabels(n, classes, inner, L);
        double loss = 0;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < inner; i++)
            {
                int label = L[(long)b * inner + i];
                for (int c = 0; c < classes; c++)
                {
                    long j = ((long)b * classes + c) * inner + i;
                    D[j] = c == label ? (float)(-1.0 / (count * (double)P[j])) : 0f;
                    if (c == label) loss -= Math.Log(P[j]);
                }
            }
        return count == 0 ? 0f : (float)(loss / count);
    }

    public override float MeanSquaredError(long count, DeviceBuffer<float> prediction, DeviceBuffer<float> target, DeviceBuffer<float> dprediction)
    {
        var P = A(prediction); var T = A(target); var D = A(dprediction);
        double sum = 0;
        for (long i = 0; i < count; i++)
        {
            double d = (double)P[i] - T[i];
            sum += d * d;
            D[i] = (float)(2 * d / count);
        }
        return count == 0 ? 0f : (float)(sum / count);
    }
}
