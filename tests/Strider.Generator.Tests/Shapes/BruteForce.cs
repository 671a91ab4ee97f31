using Strider.Shapes;

namespace Strider.Generator.Tests.Shapes;

/// <summary>Reference semantics by literal simulation: slide windows over positions, or scatter a transposed layer.</summary>
internal static class BruteForce
{
    /// <summary>Output count and lost trailing inputs of a window layer, given the pads it applies.</summary>
    public static (int Output, int Lost) Slide(WindowAxis w, int input, int pb, int pe)
    {
        int padded = input + pb + pe, eff = w.EffectiveKernel, s = w.Stride;
        int output = 0, maxRead = -1;
        for (int start = 0; ; start += s)
        {
            bool keep = w.CeilMode
                ? start < input + pb && start - s + eff < padded     // partial last window allowed, PyTorch's rule
                : start + eff <= padded;
            if (!keep) break;
            output++;
            for (int j = 0; j < w.Kernel; j++)
            {
                int p = start + j * w.Dilation;
                if (p < padded) maxRead = Math.Max(maxRead, p);
            }
        }

        if (output == 0) return (0, 0);
        int trailing = 0;
        for (int p = Math.Max(pb, 0); p < Math.Min(pb + input, padded); p++)
            if (p > maxRead) trailing++;
        return (output, Math.Max(0, trailing - Math.Max(0, s - eff)));
    }

    /// <summary>Output length of a transposed layer by scattering every input, and trailing inputs cropped away whole.</summary>
    public static (int Output, int Lost) Scatter(WindowAxis w, int input, int pb, int pe, int outputPadding)
    {
        int full = 0;
        for (int i = 0; i < input; i++)
            for (int j = 0; j < w.Kernel; j++)
                full = Math.Max(full, i * w.Stride + j * w.Dilation + 1);
        full += outputPadding;
        int output = full - pb - pe;
        if (output < 1) return (output, 0);
        int lost = 0;
        for (int i = input - 1; i >= 0 && i * w.Stride - pb >= output; i--) lost++;
        return (output, lost);
    }
}
