using Strider.Devices.Gpu;

namespace Strider.Runtime.Tests.Ilgpu;

/// <summary>The GEMM operands' multiply-and-shift division against the integer divider, at every edge it has.</summary>
public sealed class FastDivisorTests
{
    [Fact]
    public void Divides_like_the_integer_divider_for_every_divisor_and_edge_dividend()
    {
        var rng = new Random(5);
        var divisors = Enumerable.Range(1, 3000).Concat([4095, 4096, 4097, 65535, 65536, 65537, 1 << 20, 3 * 7 * 11 * 13 * 17 * 19, 1 << 30, (1 << 30) + 1, int.MaxValue - 1, int.MaxValue]);
        foreach (int d in divisors)
        {
            var f = new FastDivisor(d);
            Assert.Equal(d, f.Value);
            var dividends = new List<int> { 0, 1, d - 1, d, d + 1, int.MaxValue, int.MaxValue - 1, int.MaxValue - d };
            for (long q = 1; q <= 3; q++)
                if (q * d + 1 < int.MaxValue) dividends.AddRange([(int)(q * d) - 1, (int)(q * d), (int)(q * d) + 1]);
            for (int i = 0; i < 40; i++) dividends.Add(rng.Next(int.MaxValue));
            for (int i = 0; i < 10; i++) dividends.Add(rng.Next((int)Math.Min(4L * d, int.MaxValue)));
            foreach (int n in dividends.Where(n => n >= 0))
            {
                var (q, r) = f.DivRem(n);
                Assert.True(q == n / d && r == n % d, $"{n} / {d}: expected {n / d} r {n % d}, got {q} r {r}");
            }
        }
    }

    [Fact]
    public void An_empty_axis_divides_as_one_and_a_negative_divisor_is_refused()
    {
        Assert.Equal(7, new FastDivisor(0).Divide(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastDivisor(-3));
    }
}
