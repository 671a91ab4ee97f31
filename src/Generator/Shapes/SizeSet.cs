using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Strider.Shapes;

/// <summary>
/// A set of sizes (positive integers): empty, one arithmetic progression Start + Step·n (n &gt;= 0; Step 0 is the
/// single size Start), or a union of progressions. The parts are kept in a canonical form (coarsest progressions
/// first, sorted by start), so two sets with the same members compare equal and describe themselves the same way.
/// </summary>
internal sealed class SizeSet : IEquatable<SizeSet>
{
    // Sets whose progressions repeat with a longer period than this are kept as given (still exact, maybe not minimal).
    private const long CanonicalPeriodCap = 1 << 16;

    private readonly (int Start, int Step)[] parts;

    private SizeSet((int Start, int Step)[] parts) => this.parts = parts;

    public static SizeSet Empty { get; } = new(Array.Empty<(int, int)>());

    /// <summary>Every size: 1 + 1n.</summary>
    public static SizeSet All { get; } = new(new[] { (1, 1) });

    public static SizeSet Single(int size) => Union(new[] { ((long)size, 0L) });

    public static SizeSet Progression(int start, int step) => Union(new[] { ((long)start, (long)step) });

    /// <summary>
    /// The union of progressions Start + Step·n (n &gt;= 0), each Start &gt;= 1 and Step &gt;= 0. Parts beyond the int
    /// range are dropped (a step beyond it leaves only its start).
    /// </summary>
    public static SizeSet Union(IEnumerable<(long Start, long Step)> progressions)
    {
        var list = new List<(long Start, long Step)>();
        foreach (var (start, step) in progressions)
        {
            if (start < 1) throw new ArgumentOutOfRangeException(nameof(progressions), $"Sizes start at 1; a progression started at {start}.");
            if (step < 0) throw new ArgumentOutOfRangeException(nameof(progressions), $"A progression's step must be 0 or more, got {step}.");
            if (start > int.MaxValue) continue;
            list.Add((start, step > int.MaxValue ? 0 : step));
        }

        return list.Count == 0 ? Empty : new SizeSet(Canonical(list));
    }

    /// <summary>The parts, sorted by start: (Start, 0) is one size, (Start, Step) the sizes Start + Step·n.</summary>
    public IReadOnlyList<(int Start, int Step)> Progressions => parts;

    public bool IsEmpty => parts.Length == 0;

    /// <summary>Exactly one progression (or one single size).</summary>
    public bool IsProgression => parts.Length == 1;

    /// <summary>The progression's first size; only when <see cref="IsProgression"/>.</summary>
    public int Start => OnlyPart().Start;

    /// <summary>The progression's step (0 for a single size); only when <see cref="IsProgression"/>.</summary>
    public int Step => OnlyPart().Step;

    /// <summary>The smallest member, or null for the empty set.</summary>
    public int? Min => parts.Length == 0 ? null : parts[0].Start;

    public bool Contains(int size)
    {
        foreach (var (start, step) in parts)
            if (size == start || (step > 0 && size > start && (size - (long)start) % step == 0)) return true;
        return false;
    }

    /// <summary>The largest member strictly below <paramref name="size"/>, or null when none.</summary>
    public int? NearestBelow(int size)
    {
        long best = long.MinValue;
        foreach (var (start, step) in parts)
        {
            if (start >= size) continue;
            long candidate = step == 0 ? start : start + (size - 1L - start) / step * step;
            best = Math.Max(best, candidate);
        }

        return best == long.MinValue ? null : (int)best;
    }

    /// <summary>The smallest member strictly above <paramref name="size"/>, or null when none (or beyond int).</summary>
    public int? NearestAbove(int size)
    {
        long best = long.MaxValue;
        foreach (var (start, step) in parts)
        {
            long candidate = start > size ? start : step == 0 ? long.MaxValue : start + ((long)size - start) / step * step + step;
            best = Math.Min(best, candidate);
        }

        return best > int.MaxValue ? null : (int)best;
    }

    /// <summary>
    /// The set in words: "no size", "only 61", "any size", "any size &gt;= 5", "61 + 16n (n &gt;= 0)", or for a union
    /// "sizes 5, 9, 13, ... or 7, 11, 15, ...".
    /// </summary>
    public string Describe()
    {
        if (parts.Length == 0) return "no size";
        if (parts.Length == 1)
        {
            var (start, step) = parts[0];
            return step switch
            {
                0 => $"only {start}",
                1 => start == 1 ? "any size" : $"any size >= {start}",
                _ => $"{start} + {step}n (n >= 0)",
            };
        }

        var text = new StringBuilder("sizes ");
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0) text.Append(" or ");
            var (start, step) = parts[i];
            if (step == 0) text.Append(start);
            else if (step == 1) text.Append("any size >= ").Append(start);
            else text.Append(start).Append(", ").Append(start + (long)step).Append(", ").Append(start + 2L * step).Append(", ...");
        }

        return text.ToString();
    }

    public override string ToString() => Describe();

    /// <summary>Same members (whatever the parts look like).</summary>
    public bool Equals(SizeSet? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other) || parts.AsEnumerable().SequenceEqual(other.parts)) return true;
        var all = parts.Concat(other.parts).Select(p => ((long)p.Start, (long)p.Step)).ToList();
        long period = Period(all);
        if (period < 0) return false;
        var mine = new Classes(parts.Select(p => ((long)p.Start, (long)p.Step)), (int)period);
        var theirs = new Classes(other.parts.Select(p => ((long)p.Start, (long)p.Step)), (int)period);
        return mine.Threshold.SequenceEqual(theirs.Threshold) && mine.Points.SetEquals(theirs.Points);
    }

    public override bool Equals(object? obj) => Equals(obj as SizeSet);

    // Equal sets may be written differently, so only what every writing shares goes in.
    public override int GetHashCode() => Min ?? -1;

    private (int Start, int Step) OnlyPart() => parts.Length == 1
        ? parts[0]
        : throw new InvalidOperationException($"The set of sizes is {Describe()}, not one progression; read Progressions instead.");

    /// <summary>
    /// Canonical parts of a union. With L the lcm of the steps, each residue class mod L holds every size from a
    /// threshold on, plus single sizes below it. For each divisor d of L, smallest first, a class c mod d becomes the
    /// progression T + d·n when it holds every size from T on and none below T; classes left over are written per
    /// residue mod L, and the single sizes no progression holds are listed. One progression always comes out as one.
    /// </summary>
    private static (int Start, int Step)[] Canonical(List<(long Start, long Step)> list)
    {
        var result = new List<(long Start, long Step)>();
        long period = Period(list);
        if (period < 0)
        {
            // Too long a period to canonicalise: drop parts inside others, keep the rest.
            var distinct = list.Distinct().ToList();
            foreach (var part in distinct)
                if (!distinct.Any(o => o != part && Covers(o, part))) result.Add(part);
        }
        else
        {
            int l = (int)period;
            var classes = new Classes(list, l);
            var covered = new bool[l];
            for (int d = 1; d < l; d++)
            {
                if (l % d != 0) continue;
                for (int c = 0; c < d; c++)
                {
                    long highest = long.MinValue, lowest = long.MaxValue;
                    for (int r = c; r < l; r += d)
                    {
                        if (covered[r] || classes.Threshold[r] == long.MaxValue) highest = long.MaxValue;
                        else if (highest != long.MaxValue) highest = Math.Max(highest, classes.Threshold[r]);
                        lowest = Math.Min(lowest, classes.Threshold[r]);
                    }

                    if (highest == long.MaxValue) continue;
                    long start = highest;
                    while (start - d >= 1 && classes.Contains(start - d)) start -= d;
                    if (lowest < start || classes.Points.Any(p => p < start && IntMath.Mod(p - c, d) == 0)) continue;
                    for (int r = c; r < l; r += d) covered[r] = true;
                    result.Add((start, d));
                }
            }

            for (int r = 0; r < l; r++)
                if (!covered[r] && classes.Threshold[r] != long.MaxValue) result.Add((classes.Threshold[r], l));
            result.AddRange(classes.Points.Select(p => (p, 0L)));
        }

        return result
            .Where(p => p.Start <= int.MaxValue)
            .OrderBy(p => p.Start).ThenBy(p => p.Step)
            .Select(p => ((int)p.Start, (int)p.Step))
            .ToArray();
    }

    /// <summary>The lcm of the steps (1 when there are none), or -1 beyond the canonicalisation cap.</summary>
    private static long Period(IEnumerable<(long Start, long Step)> list)
    {
        long period = 1;
        foreach (var (_, step) in list)
            if (step > 0 && period > 0) period = IntMath.Lcm(period, step, CanonicalPeriodCap);
        return period;
    }

    /// <summary>
    /// A union seen per residue class mod L: from Threshold[r] on every size in class r is a member (MaxValue: none),
    /// and Points are the members below their class's threshold. Thresholds are pushed down through single sizes
    /// just below them, so two unions with the same members give the same Classes for the same L.
    /// </summary>
    private sealed class Classes
    {
        public readonly long[] Threshold;
        public readonly HashSet<long> Points;
        private readonly int period;

        public Classes(IEnumerable<(long Start, long Step)> parts, int period)
        {
            this.period = period;
            var list = parts.ToList();
            Threshold = new long[period];
            for (int r = 0; r < period; r++)
            {
                Threshold[r] = long.MaxValue;
                foreach (var (start, step) in list)
                    if (step > 0 && IntMath.Mod(r - start, step) == 0)
                        Threshold[r] = Math.Min(Threshold[r], start + IntMath.Mod(r - start, period));
            }

            Points = new HashSet<long>(list.Where(p => p.Step == 0).Select(p => p.Start));
            foreach (long p in Points.OrderByDescending(p => p).ToList())
            {
                int r = (int)IntMath.Mod(p, period);
                if (p >= Threshold[r]) Points.Remove(p);
                else if (Threshold[r] != long.MaxValue && p == Threshold[r] - period)
                {
                    Threshold[r] = p;
                    Points.Remove(p);
                }
            }
        }

        public bool Contains(long x) => x >= Threshold[IntMath.Mod(x, period)] || Points.Contains(x);
    }

    // Whether progression a contains every member of progression b.
    private static bool Covers((long Start, long Step) a, (long Start, long Step) b)
    {
        if (b.Start < a.Start) return false;
        if (a.Step == 0) return b.Step == 0 && a.Start == b.Start;
        return (b.Start - a.Start) % a.Step == 0 && b.Step % a.Step == 0;
    }
}
