using System;
using System.Globalization;
using System.Text;

namespace Strider;

/// <summary>
/// The device memory a generated network holds for a batch and input size, in bytes, from its execution plan
/// (<c>MyNet.Memory(batch)</c>): what an inference-only user pays, and what training adds. Buffers are allocated on
/// first use: an inference Forward allocates only <see cref="InferenceBytes"/>, and the training buffers come with
/// the first training Forward (or a Backward after an inference one). Not counted: the device's own workspaces
/// (im2col columns, packed conv weights), which it sizes for the largest layer and shares between networks, and
/// ForwardDense's buffers.
/// </summary>
/// <param name="Batch">The batch the sizes are for.</param>
/// <param name="ParameterBytes">The trainable parameters' values.</param>
/// <param name="StateBytes">The state buffers' values (BatchNorm running statistics).</param>
/// <param name="InferenceActivationBytes">
/// An inference Forward's activations at their peak: the slots that layers never live at once share, plus the
/// pooling switches and norm statistics it writes.
/// </param>
/// <param name="FoldedWeightBytes">BatchNorms folded into their convs' weights for inference (allocated on the first inference Forward).</param>
/// <param name="TrainingActivationBytes">A training Forward's activations: every layer's own output, kept for Backward, with its switches, masks and saved statistics.</param>
/// <param name="GradientBytes">Backward's activation gradients (one per layer output) and scratch.</param>
/// <param name="ParameterGradientBytes">The parameters' gradients (allocated by the first ZeroGrad, Backward or optimizer step).</param>
public sealed record NetworkMemory(
    int Batch,
    long ParameterBytes,
    long StateBytes,
    long InferenceActivationBytes,
    long FoldedWeightBytes,
    long TrainingActivationBytes,
    long GradientBytes,
    long ParameterGradientBytes)
{
    /// <summary>What an inference-only user holds: parameters, state, folded weights and the inference activations.</summary>
    public long InferenceBytes => ParameterBytes + StateBytes + FoldedWeightBytes + InferenceActivationBytes;

    /// <summary>What training holds (parameters and their gradients, state, kept activations and their gradients), before any inference Forward.</summary>
    public long TrainingBytes => ParameterBytes + ParameterGradientBytes + StateBytes + TrainingActivationBytes + GradientBytes;

    /// <summary>A small table in MiB, one line per part, then the inference and training totals.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        void Line(string what, long bytes) =>
            s.Append(what.PadRight(28)).Append((bytes / (1024.0 * 1024.0)).ToString("F1", CultureInfo.InvariantCulture).PadLeft(10)).Append(" MiB\n");
        s.Append("Memory at batch ").Append(Batch.ToString(CultureInfo.InvariantCulture)).Append(":\n");
        Line("parameters", ParameterBytes);
        Line("state", StateBytes);
        Line("inference activations", InferenceActivationBytes);
        Line("folded weights", FoldedWeightBytes);
        Line("training activations", TrainingActivationBytes);
        Line("activation gradients", GradientBytes);
        Line("parameter gradients", ParameterGradientBytes);
        Line("inference total", InferenceBytes);
        Line("training total", TrainingBytes);
        return s.ToString().TrimEnd('\n');
    }

    /// <summary>For generated code: a buffer's bytes from its element count, checked for overflow.</summary>
    public static long Bytes(long elements, int elementSize) => checked(Math.Max(elements, 0) * elementSize);
}
