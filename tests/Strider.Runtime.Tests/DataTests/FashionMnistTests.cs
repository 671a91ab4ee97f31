using Strider.Data;

namespace Strider.Runtime.Tests.DataTests;

public class FashionMnistTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Data", "mnist");

    [Fact]
    [Trait("Speed", "Slow")]
    public void The_subset_in_the_repository_loads_with_its_documented_counts()
    {
        var (train, test) = FashionMnist.LoadSubset(Folder);
        Assert.Equal(12_000, train.Count);
        Assert.Equal(2_000, test.Count);
        Assert.Equal(28 * 28, train.InputSize);
        Assert.All(train.Inputs, v => Assert.InRange(v, 0f, 1f));
        // The per-class counts samples/data/README.md gives (the conversion script printed them).
        Assert.Equal(new[] { 1122, 1220, 1201, 1212, 1181, 1204, 1244, 1192, 1195, 1229 }, Counts(train));
        Assert.Equal(new[] { 200, 203, 214, 190, 219, 195, 197, 200, 194, 188 }, Counts(test));
        // The first training image of Fashion-MNIST is an ankle boot, the second a T-shirt/top.
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[train.Labels![0]]);
        Assert.Equal("T-shirt/top", FashionMnist.ClassNames[train.Labels[1]]);
    }

    [Fact]
    public void Class_names_follow_the_label_order()
    {
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        Assert.Equal("T-shirt/top", FashionMnist.ClassNames[0]);
        Assert.Equal("Trouser", FashionMnist.ClassNames[1]);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
    }

    [Fact]
    public void A_folder_without_the_subset_is_named_in_the_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.LoadSubset(AppContext.BaseDirectory));
        Assert.Contains(FashionMnist.TrainImagesFile, e.Message);
    }

    private static int[] Counts(Dataset data)
    {
        var counts = new int[10];
        foreach (int label in data.Labels!) counts[label]++;
        return counts;
    }
}
