using Strider.Shapes;

namespace Strider.Generator.Tests.Shapes;

public class SizeSetTests
{
    private static List<(long Start, long Step)> RandomParts(Random rng)
    {
        var parts = new List<(long, long)>();
        int count = rng.Next(0, 5);
        for (int i = 0; i < count; i++)
        {
            int step = rng.Next(3) == 0 ? 0 : new[] { 1, 2, 3, 4, 6, 8, 12, 16 }[rng.Next(8)];
            parts.Add((rng.Next(1, 80), step));
        }

        return parts;
    }

    private static bool Naive(IEnumerable<(long Start, long Step)> parts, int x) =>
        parts.Any(p => x == p.Start || (p.Step > 0 && x > p.Start && (x - p.Start) % p.Step == 0));

    // The same members written differently: split a progression by residues, or peel off its first size.
    private static List<(long Start, long Step)> Rewrite(Random rng, List<(long Start, long Step)> parts)
    {
        var result = new List<(long Start, long Step)>();
        foreach (var (start, step) in parts)
        {
            int how = step == 0 ? 0 : rng.Next(3);
            if (how == 1)
            {
                int k = rng.Next(2, 4);
                for (int j = 0; j < k; j++) result.Add((start + j * step, k * step));
            }
            else if (how == 2)
            {
                result.Add((start, 0));
                result.Add((start + step, step));
            }
            else result.Add((start, step));
        }

        if (rng.Next(2) == 0 && result.Count > 0) result.Add(result[rng.Next(result.Count)]);
        return result.OrderBy(_ => rng.Next()).ToList();
    }

    [Fact]
    public void Membership_and_neighbours_match_scanning()
    {
        var rng = new Random(42);
        for (int c = 0; c < 1500; c++)
        {
            var parts = RandomParts(rng);
            var set = SizeSet.Union(parts);
            var members = new bool[2300];
            for (int x = 1; x < members.Length; x++) members[x] = Naive(parts, x);
            for (int x = 1; x <= 2000; x++)
            {
                if (set.Contains(x) != members[x]) Assert.Fail($"{set} from [{string.Join(", ", parts)}]: Contains({x}) should be {members[x]}");
            }

            for (int i = 0; i < 40; i++)
            {
                int x = rng.Next(1, 2000);
                int? below = null, above = null;
                for (int y = x - 1; y >= 1 && below is null; y--) if (members[y]) below = y;
                for (int y = x + 1; y < members.Length && above is null; y++) if (members[y]) above = y;
                if (above is null && parts.Any(p => p.Step > 0)) Assert.Fail("scan window too small");
                Assert.Equal(below, set.NearestBelow(x));
                Assert.Equal(above, set.NearestAbove(x));
            }
        }
    }

    [Fact]
    public void Equal_sets_have_one_form_whatever_the_input()
    {
        var rng = new Random(43);
        for (int c = 0; c < 1500; c++)
        {
            var parts = RandomParts(rng);
            var a = SizeSet.Union(parts);
            var b = SizeSet.Union(Rewrite(rng, parts));
            if (!a.Equals(b)) Assert.Fail($"[{string.Join(", ", parts)}] gave {a} one way and {b} the other");
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
            for (int x = 1; x <= 300; x++)
                if (a.Contains(x) != b.Contains(x)) Assert.Fail($"{a} and {b} differ at {x}");
        }
    }

    [Fact]
    public void Different_sets_are_not_equal()
    {
        var rng = new Random(44);
        for (int c = 0; c < 1500; c++)
        {
            var a = SizeSet.Union(RandomParts(rng));
            var b = SizeSet.Union(RandomParts(rng));
            bool same = Enumerable.Range(1, 400).All(x => a.Contains(x) == b.Contains(x));
            if (same != a.Equals(b)) Assert.Fail($"{a} vs {b}: same members {same}, Equals {a.Equals(b)}");
        }
    }

    [Fact]
    public void One_progression_written_any_way_comes_out_as_itself()
    {
        var rng = new Random(45);
        for (int c = 0; c < 1500; c++)
        {
            var part = ((long)rng.Next(1, 80), (long)new[] { 0, 1, 2, 3, 4, 8, 16 }[rng.Next(7)]);
            var rewritten = Rewrite(rng, Rewrite(rng, new List<(long, long)> { part }));
            var set = SizeSet.Union(rewritten);
            if (!set.IsProgression || set.Start != part.Item1 || set.Step != part.Item2)
                Assert.Fail($"{part} written as [{string.Join(", ", rewritten)}] came out as {set}");
        }
    }

    [Fact]
    public void Unions_collapse_to_one_progression_when_they_can()
    {
        Assert.Equal(SizeSet.All, SizeSet.Union(new (long, long)[] { (1, 2), (2, 2) }));
        Assert.Equal(SizeSet.Progression(5, 2), SizeSet.Union(new (long, long)[] { (5, 4), (7, 4) }));
        Assert.Equal(SizeSet.Progression(3, 2), SizeSet.Union(new (long, long)[] { (3, 0), (5, 2) }));
        Assert.Equal(SizeSet.Progression(61, 16), SizeSet.Union(new (long, long)[] { (61, 32), (77, 32), (93, 16) }));
        Assert.Equal(SizeSet.Single(7), SizeSet.Union(new (long, long)[] { (7, 0), (7, 0) }));
        Assert.True(SizeSet.Union(new (long, long)[] { (5, 4), (7, 4), (1, 0) }).Progressions.Count == 2);
    }

    [Fact]
    public void Descriptions_read_as_sentences()
    {
        Assert.Equal("no size", SizeSet.Empty.Describe());
        Assert.Equal("any size", SizeSet.All.Describe());
        Assert.Equal("any size >= 5", SizeSet.Progression(5, 1).Describe());
        Assert.Equal("only 61", SizeSet.Single(61).Describe());
        Assert.Equal("61 + 16n (n >= 0)", SizeSet.Progression(61, 16).Describe());
        Assert.Equal("5 + 2n (n >= 0)", SizeSet.Union(new (long, long)[] { (5, 4), (7, 4) }).Describe());
        Assert.Equal("sizes 2 or any size >= 7", SizeSet.Union(new (long, long)[] { (2, 0), (7, 1) }).Describe());
        Assert.Equal("sizes 5, 9, 13, ... or 8, 12, 16, ...", SizeSet.Union(new (long, long)[] { (5, 4), (8, 4) }).Describe());
    }

    [Fact]
    public void Progression_accessors_refuse_a_union()
    {
        var union = SizeSet.Union(new (long, long)[] { (5, 4), (8, 4) });
        Assert.False(union.IsProgression);
        var e = Assert.Throws<InvalidOperationException>(() => union.Start);
        Assert.Contains("sizes 5, 9, 13, ... or 8, 12, 16, ...", e.Message);
        Assert.Equal(61, SizeSet.Progression(61, 16).Start);
        Assert.Equal(16, SizeSet.Progression(61, 16).Step);
        Assert.Equal(0, SizeSet.Single(9).Step);
    }
}
