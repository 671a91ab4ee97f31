using SkiaSharp;
using Strider.Data;

namespace Strider.Runtime.Tests.DataTests;

public class ImageStreamTests
{
    internal static readonly ImageFolderOptions Options = new() { Channels = 3, Height = 6, Width = 6 };

    /// <summary>Two classes of 6x6 PNGs, each image a different gradient so every example and every flip is distinct.</summary>
    internal static void Gradients(TestImages.Folder folder, int perClass)
    {
        for (int c = 0; c < 2; c++)
            for (int f = 0; f < perClass; f++)
            {
                int k = c * perClass + f;
                TestImages.Write(folder[$"class{c}/{f:D2}.png"], 6, 6, (x, y) => new SKColor((byte)(10 * k + x), (byte)(30 * y), (byte)(7 * x + 3 * y)));
            }
    }

    internal static List<(float[] Inputs, int[] Labels)> Epoch(IBatchSource source)
    {
        var batches = new List<(float[], int[])>();
        source.StartEpoch();
        while (source.MoveNext())
        {
            Assert.Equal(source.Size * source.InputSize, source.Inputs.Length);
            batches.Add((source.Inputs.ToArray(), source.Labels.ToArray()));
        }
        return batches;
    }

    internal static void AssertSame(List<(float[] Inputs, int[] Labels)> a, List<(float[] Inputs, int[] Labels)> b)
    {
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Labels, b[i].Labels);
            Assert.Equal(a[i].Inputs, b[i].Inputs);
        }
    }

    [Fact]
    public void Unshuffled_and_unaugmented_it_streams_exactly_what_image_folder_loads()
    {
        using var folder = new TestImages.Folder();
        Gradients(folder, perClass: 5);
        var options = Options with { Mean = [0.5f], Std = [0.25f] };
        var loaded = ImageFolder.Load(folder.Root, options);
        var (stream, classes) = ImageStream.FromFolder(folder.Root, options, batchSize: 3, seed: 1, shuffle: false);
        using (stream)
        {
            Assert.Equal(loaded.ClassNames, classes);
            Assert.Equal(4, stream.BatchesPerEpoch);
            var batches = Epoch(stream);
            Assert.Equal(new[] { 3, 3, 3, 1 }, batches.Select(b => b.Labels.Length));
            Assert.Equal(loaded.Train.Inputs, batches.SelectMany(b => b.Inputs));
            Assert.Equal(loaded.Train.Labels, batches.SelectMany(b => b.Labels));
        }
    }

    internal static readonly Augmentation Pipeline = Augmentation.Compose(
        Augmentation.RandomCrop(1), Augmentation.HorizontalFlip(), Augmentation.ColorJitter(0.2f, 0.2f, 0.2f));

    [Fact]
    public void Batches_depend_on_the_seed_only_not_on_threads_or_prefetch()
    {
        using var folder = new TestImages.Folder();
        Gradients(folder, perClass: 6);
        var (_, files) = ImageFolder.List(folder.Root);
        using var serial = new ImageStream(files, Options, batchSize: 4, seed: 3, Pipeline, prefetch: 1, decodeThreads: 1);
        using var parallel = new ImageStream(files, Options, batchSize: 4, seed: 3, Pipeline, prefetch: 3, decodeThreads: 4);
        using var other = new ImageStream(files, Options, batchSize: 4, seed: 4, Pipeline, prefetch: 2);
        var first = Epoch(serial);
        AssertSame(first, Epoch(parallel));
        var second = Epoch(serial);
        AssertSame(second, Epoch(parallel));
        Assert.NotEqual(first.SelectMany(b => b.Inputs), second.SelectMany(b => b.Inputs)); // a new order and new draws each epoch
        Assert.NotEqual(first.SelectMany(b => b.Inputs), Epoch(other).SelectMany(b => b.Inputs));
        // Every file once per epoch: six of each class.
        Assert.Equal(6, second.SelectMany(b => b.Labels).Count(l => l == 1));
    }

    [Fact]
    public void It_matches_augmented_batches_over_the_same_images_in_memory()
    {
        using var folder = new TestImages.Folder();
        Gradients(folder, perClass: 4);
        var loaded = ImageFolder.Load(folder.Root, Options);
        var (stream, _) = ImageStream.FromFolder(folder.Root, Options, batchSize: 3, seed: 8, Pipeline);
        using (stream)
        {
            var memory = new AugmentedBatches(loaded.Train, loaded.Shape, batchSize: 3, seed: 8, Pipeline);
            for (int epoch = 0; epoch < 2; epoch++) AssertSame(Epoch(memory), Epoch(stream));
        }
    }

    [Fact]
    public void The_worker_decodes_no_more_than_its_window_ahead()
    {
        using var folder = new TestImages.Folder();
        Gradients(folder, perClass: 10);
        var (stream, _) = ImageStream.FromFolder(folder.Root, Options, batchSize: 2, seed: 1, prefetch: 2);
        using (stream)
        {
            Assert.Equal(3, stream.Window);
            stream.StartEpoch();
            WaitUntilMade(stream, 3);
            // A worker that overran its window would do so within this pause; one that keeps to it never makes more.
            Thread.Sleep(200);
            Assert.Equal(3, stream.BatchesMade); // of 10 batches: two ready, one waiting for a place in the queue
            Assert.True(stream.MoveNext());
            Thread.Sleep(200);
            Assert.Equal(3, stream.BatchesMade); // the consumer holds the first, the queue the next two: no buffer is free
            Assert.True(stream.MoveNext());
            WaitUntilMade(stream, 4); // the first buffer came back, so one more is made
            Thread.Sleep(200);
            Assert.Equal(4, stream.BatchesMade); // and only one: the consumer holds the second, the queue the third and fourth
        }
    }

    /// <summary>
    /// Waits until the worker has made <paramref name="count"/> batches this epoch: up to a minute, since a loaded machine
    /// can be slow, but a worker that has ended (with an error) fails at once with that error.
    /// </summary>
    private static void WaitUntilMade(ImageStream stream, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (stream.BatchesMade < count)
        {
            var worker = stream.Worker ?? throw new InvalidOperationException("No epoch is running.");
            if (worker.IsCompleted && stream.BatchesMade < count)
            {
                // The worker's error, if any, waits behind the batches it made.
                var error = Record.Exception(() => { while (stream.MoveNext()) { } });
                Assert.Fail($"The worker ended ({worker.Status}) after {stream.BatchesMade} batches, before the {count} expected: {error?.ToString() ?? "without an error"}");
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(1))
                Assert.Fail($"After {clock.Elapsed.TotalSeconds:F0} s the worker ({worker.Status}) had made {stream.BatchesMade} of the {count} batches expected.");
            Thread.Sleep(10);
        }
    }

    [Fact]
    public void A_corrupt_file_reaches_the_consumer_naming_it_and_the_batches_before_it_arrive()
    {
        using var folder = new TestImages.Folder();
        Gradients(folder, perClass: 4);
        string bad = folder["class1/02.png"];
        File.WriteAllBytes(bad, [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3]);
        var (stream, _) = ImageStream.FromFolder(folder.Root, Options, batchSize: 2, seed: 1, shuffle: false);
        using (stream)
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                stream.StartEpoch();
                int batches = 0;
                var e = Assert.Throws<InvalidDataException>(() =>
                {
                    while (stream.MoveNext()) batches++;
                });
                Assert.Contains(bad, e.Message);
                Assert.Equal(3, batches); // files 0-5 arrive; file 6 (class1/02.png) is in batch 4
                Assert.False(stream.MoveNext());
            }
        }
    }

    [Fact]
    public void Disposing_mid_epoch_stops_the_worker()
    {
        using var folder = new TestImages.Folder();
        Gradients(folder, perClass: 10);
        var (stream, _) = ImageStream.FromFolder(folder.Root, Options, batchSize: 2, seed: 1, prefetch: 1);
        stream.StartEpoch();
        Assert.True(stream.MoveNext());
        var worker = stream.Worker!;
        stream.Dispose();
        Assert.True(worker.IsCompleted);
        Assert.Throws<ObjectDisposedException>(() => stream.MoveNext());
        stream.Dispose(); // twice is harmless
    }

    [Fact]
    public void A_restored_state_continues_with_the_next_epochs_batches()
    {
        using var folder = new TestImages.Folder();
        Gradients(folder, perClass: 3);
        var (_, files) = ImageFolder.List(folder.Root);
        using var original = new ImageStream(files, Options, batchSize: 4, seed: 2, Pipeline);
        Epoch(original);
        var state = original.CaptureState();
        var next = Epoch(original);

        using var resumed = new ImageStream(files, Options, batchSize: 4, seed: 2, Pipeline);
        resumed.RestoreState(state);
        AssertSame(next, Epoch(resumed));

        using var otherSeed = new ImageStream(files, Options, batchSize: 4, seed: 3, Pipeline);
        Assert.Contains("seed 2", Assert.Throws<ArgumentException>(() => otherSeed.RestoreState(state)).Message);
    }
}

/// <summary>The stream under a thread pool that runs nothing: its worker must not wait on the pool to make progress.</summary>
[Collection(SaturatedThreadPoolCollection.Name)]
public class ImageStreamThreadPoolTests
{
    [Fact]
    public void An_epoch_streams_to_the_end_while_the_thread_pool_is_held_by_other_work()
    {
        using var folder = new TestImages.Folder();
        ImageStreamTests.Gradients(folder, perClass: 5);
        var (_, files) = ImageFolder.List(folder.Root);
        // Batches of 4, 4 and 2 files: each queues pool helpers that cannot start while the pool is held.
        using var serial = new ImageStream(files, ImageStreamTests.Options, batchSize: 4, seed: 1, ImageStreamTests.Pipeline, prefetch: 1, decodeThreads: 1);
        var expected = new[] { ImageStreamTests.Epoch(serial), ImageStreamTests.Epoch(serial) };
        using var stream = new ImageStream(files, ImageStreamTests.Options, batchSize: 4, seed: 1, ImageStreamTests.Pipeline, prefetch: 1, decodeThreads: 4);
        List<(float[] Inputs, int[] Labels)> first = [];
        Exception? error = null;
        // The consumer gets its own thread: with the pool held, a task would never start.
        var consumer = new Thread(() =>
        {
            try
            {
                stream.StartEpoch();
                while (stream.MoveNext())
                    lock (first) first.Add((stream.Inputs.ToArray(), stream.Labels.ToArray()));
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        bool finished;
        int consumed, made;
        using (new SaturatedThreadPool())
        {
            consumer.Start();
            finished = consumer.Join(TimeSpan.FromSeconds(30));
            lock (first) (consumed, made) = (first.Count, stream.BatchesMade);
        }
        // The pool is free again, so a stalled worker can finish and the stream be disposed.
        Assert.True(consumer.Join(TimeSpan.FromSeconds(60)), "the epoch did not end even once the thread pool was free");
        Assert.Null(error);
        Assert.True(finished, $"with every pool thread held the epoch stalled for 30 s: {consumed} of {stream.BatchesPerEpoch} batches consumed, {made} made");
        ImageStreamTests.AssertSame(expected[0], first);
        // The first epoch's helpers start now, late, while the second epoch reuses their buffers: they must find nothing to do.
        ImageStreamTests.AssertSame(expected[1], ImageStreamTests.Epoch(stream));
    }
}
