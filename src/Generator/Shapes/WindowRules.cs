using System;
using System.Text;

namespace Strider.Shapes;

/// <summary>
/// Output size, padding, border loss and formula text of one axis of a sliding-window layer. Sizes are counts of
/// positions on the axis; an input size below 1 has no output (0).
/// </summary>
internal static class WindowRules
{
    /// <summary>Throws when the window cannot exist: kernel, stride or dilation below 1, or negative output padding.</summary>
    public static void Validate(in WindowAxis w)
    {
        if (w.Kernel < 1) throw new ArgumentException($"A window's kernel must be at least 1, got {w.Kernel}.", nameof(w));
        if (w.Stride < 1) throw new ArgumentException($"A window's stride must be at least 1, got {w.Stride}.", nameof(w));
        if (w.Dilation < 1) throw new ArgumentException($"A window's dilation must be at least 1, got {w.Dilation}.", nameof(w));
        if (w.OutputPadding < 0)
            throw new ArgumentException($"A window's output padding must be 0 or more, got {w.OutputPadding}.", nameof(w));
    }

    /// <summary>
    /// Output size of the layer on an input of <paramref name="input"/> positions; &lt;= 0 means no window fits.
    /// <list type="bullet">
    /// <item>Explicit (and Valid): out = floor((in + pb + pe - d(k-1) - 1) / s) + 1.</item>
    /// <item>Ceil mode: out = min(ceil((in + pb + pe - d(k-1) - 1) / s) + 1, ceil((in + pb) / s)): a window is kept
    /// while the one before it does not reach the padded end, and only if it starts inside the input or the left
    /// padding (PyTorch's rule; equal to its "minus 1" form whenever pads are at most half the kernel).</item>
    /// <item>Same: out = ceil(in / s). Causal: pb = d(k-1), pe = 0, then the explicit formula (= ceil(in / s)).</item>
    /// <item>Transposed: out = (in - 1)s - pb - pe + d(k-1) + 1 + outputPadding; Same and Causal transposed: out = in * s.</item>
    /// </list>
    /// </summary>
    public static int OutputSize(in WindowAxis w, int input) => IntMath.Saturate(OutputSize(w, (long)input));

    /// <inheritdoc cref="OutputSize(in WindowAxis, int)"/>
    public static long OutputSize(in WindowAxis w, long input)
    {
        if (input < 1) return 0;
        long s = w.Stride, eff = w.EffectiveKernel;
        if (w.Transposed)
        {
            if (w.Mode != PadMode.Explicit) return input * s;
            return (input - 1) * s - w.PadBegin - w.PadEnd + eff + w.OutputPadding;
        }

        if (w.Mode == PadMode.Same) return IntMath.CeilDiv(input, s);
        var (pb, pe) = ResolvePadding(w, input);
        long num = input + pb + pe - eff;
        if (!w.CeilMode) return IntMath.FloorDiv(num, s) + 1;
        return Math.Min(IntMath.CeilDiv(num, s) + 1, IntMath.CeilDiv(input + pb, s));
    }

    /// <summary>
    /// The pads (begin, end) the layer applies on this input size. Explicit: as given. Causal: (d(k-1), 0).
    /// Same: out = ceil(in / s), total = max((out - 1)s + d(k-1) + 1 - in, 0), begin = total / 2 (rounded down),
    /// end = total - begin, so strided layers pad more at the end, as TensorFlow does.
    /// Transposed: the amounts cropped from the full output; Same: total = d(k-1) + 1 - s, begin = max(total, 0) / 2,
    /// end = total - begin (negative end = extra zeros, so out = in * s); Causal: (0, d(k-1) + 1 - s).
    /// Same and Causal transposed ignore outputPadding.
    /// </summary>
    public static (int Begin, int End) ResolvePadding(in WindowAxis w, int input)
    {
        var (b, e) = ResolvePadding(w, (long)input);
        return (IntMath.Saturate(b), IntMath.Saturate(e));
    }

    private static (long Begin, long End) ResolvePadding(in WindowAxis w, long input)
    {
        long s = w.Stride, eff = w.EffectiveKernel;
        switch (w.Mode)
        {
            case PadMode.Causal:
                return w.Transposed ? (0, eff - s) : (eff - 1, 0);
            case PadMode.Same when w.Transposed:
            {
                long total = eff - s;
                long begin = Math.Max(total, 0) / 2;
                return (begin, total - begin);
            }

            case PadMode.Same:
            {
                long output = IntMath.CeilDiv(Math.Max(input, 1), s);
                long total = Math.Max((output - 1) * s + eff - input, 0);
                return (total / 2, total - total / 2);
            }

            default:
                return (w.PadBegin, w.PadEnd);
        }
    }

    /// <summary>
    /// Trailing inputs that no window reads (the border effect), beyond the gap of s - d(k-1) - 1 that a kernel narrower
    /// than its stride leaves between all windows anyway. Explicit: max(0, ((in + pb + pe - d(k-1) - 1) mod s) - pe)
    /// less that gap. Always 0 for Same, and for ceil mode without dilation (a dilated window hanging over the end can
    /// skip the last inputs in its holes); for a transposed layer, the trailing inputs whose every product
    /// is cropped away (only when pe &gt;= d(k-1) + 1 + outputPadding). 0 when no window fits (that is "too small").
    /// </summary>
    public static int Uncovered(in WindowAxis w, int input) => IntMath.Saturate(Uncovered(w, (long)input));

    /// <inheritdoc cref="Uncovered(in WindowAxis, int)"/>
    public static long Uncovered(in WindowAxis w, long input)
    {
        long output = OutputSize(w, input);
        if (output < 1) return 0;
        long s = w.Stride, eff = w.EffectiveKernel;
        var (pb, pe) = ResolvePadding(w, input);
        if (w.Transposed)
        {
            // Input i writes outputs i*s - pb + j*d; it is lost when even its first product lands at or past the end.
            long firstLost = Math.Max(0, IntMath.CeilDiv(output + pb, s));
            return Math.Max(0, input - firstLost);
        }

        long padded = input + pb + pe, lastTap = -1;
        // Ceil-mode windows may hang over the end, and with dilation an earlier one's last tap can reach further.
        for (long t = Math.Max(0, output - 2 - eff / s); t < output; t++)
        {
            long start = t * s;
            lastTap = Math.Max(lastTap, start + w.Dilation * Math.Min(w.Kernel - 1, IntMath.FloorDiv(padded - 1 - start, w.Dilation)));
        }

        long readEnd = lastTap + 1;
        long realEnd = Math.Min(pb + input, padded);          // first padded position after the last real input
        long trailing = realEnd - Math.Max(readEnd, pb);
        return Math.Max(0, trailing - Math.Max(0, s - eff));
    }

    /// <summary>
    /// The smallest input size that has an output of at least 1: max(1, d(k-1) + 1 - pb - pe) for a window
    /// (ceil mode: max(1, d(k-1) + 2 - s - pb - pe, 1 - pb), since a partial window counts),
    /// the smallest in with (in - 1)s - pb - pe + d(k-1) + 1 + outputPadding &gt;= 1 for a transposed one, 1 for Same.
    /// </summary>
    public static long MinInput(in WindowAxis w)
    {
        long s = w.Stride, eff = w.EffectiveKernel;
        if (w.Mode == PadMode.Same || (w.Transposed && w.Mode == PadMode.Causal)) return 1;
        if (w.Transposed)
        {
            long c = eff - w.PadBegin - w.PadEnd + w.OutputPadding;
            return Math.Max(1, 1 + IntMath.CeilDiv(1 - c, s));
        }

        var (pb, pe) = ResolvePadding(w, 1L);
        if (w.CeilMode) return Math.Max(Math.Max(1, eff + 1 - s - pb - pe), 1 - pb);
        return Math.Max(1, eff - pb - pe);
    }

    /// <summary>
    /// From this input size on, outputs and losses repeat with <see cref="Period"/>; between <see cref="MinInput"/> and
    /// here a pad wider than the windows read can still hide inputs, so the size algebra takes those sizes one by one.
    /// </summary>
    public static long RegularFrom(in WindowAxis w)
    {
        var (pb, _) = w.Transposed || w.Mode != PadMode.Same ? ResolvePadding(w, 1L) : (0, 0);
        return MinInput(w) + Math.Abs(pb) + w.Stride + w.EffectiveKernel;
    }

    /// <summary>
    /// Inputs at least <see cref="RegularFrom"/> and apart by a multiple of this have outputs in step: the output grows by
    /// period / s (window) or s (transposed) per period, and <see cref="Uncovered(in WindowAxis, long)"/> is the same.
    /// </summary>
    public static int Period(in WindowAxis w) => w.Transposed ? 1 : w.Stride;

    /// <summary>Human-readable output size rule with the constants folded, e.g. "out = floor((in - 5) / 2) + 1".</summary>
    public static string Formula(in WindowAxis w)
    {
        int s = w.Stride, eff = w.EffectiveKernel;
        if (w.Transposed)
        {
            if (w.Mode != PadMode.Explicit) return s == 1 ? "out = in" : $"out = {s} * in";
            long c = (long)eff - s - w.PadBegin - w.PadEnd + w.OutputPadding;
            return (s == 1 ? "out = in" : $"out = {s} * in") + Offset(c);
        }

        if (w.Mode == PadMode.Same || w.Mode == PadMode.Causal && !w.CeilMode)
            return s == 1 ? "out = in" : $"out = ceil(in / {s})";

        var (pb, pe) = ResolvePadding(w, 1L);
        long k = pb + pe - eff;                               // out = round((in + k) / s) + 1
        if (s == 1) return "out = in" + Offset(k + 1);
        var text = new StringBuilder("out = ");
        text.Append(w.CeilMode ? "ceil(" : "floor(");
        text.Append(k == 0 ? "in" : "(in" + Offset(k) + ")");
        text.Append(" / ").Append(s).Append(") + 1");
        if (w.CeilMode && pe + s - 1 >= eff) text.Append(", but no window may start in the end padding");
        return text.ToString();
    }

    private static string Offset(long c) => c == 0 ? "" : c > 0 ? $" + {c}" : $" - {-c}";
}
