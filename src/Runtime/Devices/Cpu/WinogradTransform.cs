using System;

namespace Strider.Devices.Cpu;

/// <summary>
/// The matrices of Winograd F(2, r) (and F(2x2, r x r) by nesting) built by Toom-Cook from interpolation points: the
/// finite points p_0 .. p_{r-1} and infinity. With V the (r + 1) x (r + 1) evaluation matrix (row j: powers of p_j;
/// infinity's row picks the leading coefficient), A^T[i][j] = p_j^i (i = 0, 1), G[j][k] = p_j^k and B^T = V^-T, so
/// y_i = sum_k g_k d_{i+k} = (A^T [(G g) . (B^T d)])_i. Each row of B^T is scaled to a largest entry of 1 and G's row
/// by the inverse (G is applied in double precision once per write of the weights, so its fractions cost nothing).
/// </summary>
internal sealed class WinogradTransform
{
    /// <summary>The kernel size r and the tile size alpha = r + 1.</summary>
    public readonly int Kernel, Alpha;

    /// <summary>B^T, alpha x alpha, row-major: the input tile transform d -> B^T d B.</summary>
    public readonly float[] InputT;

    /// <summary>A^T, 2 x alpha, row-major: the output tile transform m -> A^T m A.</summary>
    public readonly float[] OutputT;

    /// <summary>G, alpha x r, row-major: the weight transform g -> G g G^T (in double).</summary>
    public readonly double[] Filter;

    /// <summary>
    /// F(2, 4) at 0, 1, -1, 1/2 and infinity; F(2, 5) at 0, 1, -1, 1/2, -1/2 and infinity: small points keep the
    /// powers in B^T and G near 1 (their float error against the reference conv, CpuWinogradLargeTests: up to 2.4e-5 of
    /// the outputs' scale at 64 channels 5x5; other point sets were not compared).
    /// </summary>
    public static readonly WinogradTransform F2x4 = new(4, [0, 1, -1, 0.5]), F2x5 = new(5, [0, 1, -1, 0.5, -0.5]);

    /// <summary>The transform for an r x r kernel (4 or 5).</summary>
    public static WinogradTransform Of(int kernel) => kernel switch
    {
        4 => F2x4,
        5 => F2x5,
        _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Winograd F(2x2, r x r) is built for 4x4 and 5x5 kernels."),
    };

    /// <summary>The transform of F(2, <paramref name="kernel"/>) at the finite <paramref name="points"/> (kernel of them, distinct) and infinity.</summary>
    public WinogradTransform(int kernel, double[] points)
    {
        if (points.Length != kernel) throw new ArgumentException($"F(2, {kernel}) needs {kernel} finite points and infinity; got {points.Length}.", nameof(points));
        int alpha = kernel + 1;
        (Kernel, Alpha) = (kernel, alpha);
        var v = new double[alpha, alpha];
        for (int j = 0; j < kernel; j++)
            for (int l = 0; l < alpha; l++) v[j, l] = Math.Pow(points[j], l);
        v[kernel, kernel] = 1;
        var inverse = Invert(v);
        InputT = new float[alpha * alpha];
        Filter = new double[alpha * kernel];
        OutputT = new float[2 * alpha];
        for (int j = 0; j < alpha; j++)
        {
            double largest = 0;
            for (int l = 0; l < alpha; l++) largest = Math.Max(largest, Math.Abs(inverse[l, j]));
            // Entries that elimination left at rounding noise are the zeros the transform skips.
            for (int l = 0; l < alpha; l++) InputT[j * alpha + l] = Math.Abs(inverse[l, j]) < 1e-12 * largest ? 0f : (float)(inverse[l, j] / largest);
            for (int k = 0; k < kernel; k++) Filter[j * kernel + k] = (j < kernel ? Math.Pow(points[j], k) : k == kernel - 1 ? 1 : 0) * largest;
            OutputT[j] = j < kernel ? 1 : 0;
            OutputT[alpha + j] = j < kernel ? (float)points[j] : 1;
        }
    }

    /// <summary>The inverse of a square matrix by Gauss-Jordan elimination with partial pivoting.</summary>
    private static double[,] Invert(double[,] m)
    {
        int n = m.GetLength(0);
        var a = (double[,])m.Clone();
        var inv = new double[n, n];
        for (int i = 0; i < n; i++) inv[i, i] = 1;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++) if (Math.Abs(a[r, col]) > Math.Abs(a[pivot, col])) pivot = r;
            if (a[pivot, col] == 0) throw new ArgumentException("Winograd points must be distinct.", nameof(m));
            for (int c = 0; c < n; c++)
            {
                (a[col, c], a[pivot, c]) = (a[pivot, c], a[col, c]);
                (inv[col, c], inv[pivot, c]) = (inv[pivot, c], inv[col, c]);
            }
            double scale = a[col, col];
            for (int c = 0; c < n; c++)
            {
                a[col, c] /= scale;
                inv[col, c] /= scale;
            }
            for (int r = 0; r < n; r++)
            {
                if (r == col || a[r, col] == 0) continue;
                double f = a[r, col];
                for (int c = 0; c < n; c++)
                {
                    a[r, c] -= f * a[col, c];
                    inv[r, c] -= f * inv[col, c];
                }
            }
        }
        return inv;
    }
}
