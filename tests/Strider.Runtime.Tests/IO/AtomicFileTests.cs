using Strider.Devices.Cpu;
using Strider.IO;

namespace Strider.Runtime.Tests.IO;

/// <summary>Atomic replacement of weight files (and PNGs, ONNX models): unique temporary files, no links followed, no torn files.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly CpuDevice _device = new(threads: 1);
    private readonly string _dir = Directory.CreateTempSubdirectory("strider-atomic-").FullName;

    public void Dispose()
    {
        _device.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string[] Entries() => Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private FakeNetwork Net(int seed)
    {
        var net = FakeNetwork.Small(_device);
        net.FillDistinct(seed);
        return net;
    }

    [Fact]
    public void A_link_planted_at_the_old_fixed_temporary_name_is_not_followed()
    {
        string path = Path.Combine(_dir, "weights.safetensors");
        string victim = Path.Combine(_dir, "victim.txt");
        File.WriteAllText(victim, "precious");
        File.CreateSymbolicLink(path + ".tmp", victim);
        using var net = Net(1);

        SafeTensors.Save(net, path);

        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(victim, new FileInfo(path + ".tmp").LinkTarget);
        Assert.Null(new FileInfo(path).LinkTarget);
        using var loaded = Net(9);
        SafeTensors.Load(loaded, path);
        Assert.Equal(net.Snapshot()["fc.weight"], loaded.Snapshot()["fc.weight"]);
        Assert.Equal(["victim.txt", "weights.safetensors", "weights.safetensors.tmp"], Entries());
    }

    [Fact]
    public void Each_write_goes_to_a_new_file_of_its_own_name_in_the_same_folder()
    {
        string path = Path.Combine(_dir, "out.bin");
        var names = new List<string>();
        for (int i = 0; i < 3; i++)
            AtomicFile.Write(path, stream =>
            {
                string temp = ((FileStream)stream).Name;
                names.Add(temp);
                Assert.Equal(_dir, Path.GetDirectoryName(temp));
                Assert.NotEqual(path + ".tmp", temp);
                Assert.Null(new FileInfo(temp).LinkTarget);
                Assert.Equal(0, stream.Length); // created new, not an existing file opened
                stream.WriteByte((byte)i);
            });
        Assert.Equal(3, names.Distinct().Count());
        Assert.Equal([2], File.ReadAllBytes(path));
        Assert.Equal(["out.bin"], Entries());
    }

    [Fact]
    public void Two_concurrent_savers_both_succeed_and_every_read_sees_one_whole_version()
    {
        string path = Path.Combine(_dir, "shared.safetensors");
        using var a = Net(1);
        using var b = Net(50);
        var versions = new[] { a.Snapshot(), b.Snapshot() };
        SafeTensors.Save(a, path);
        const int rounds = 30;
        using var start = new Barrier(3);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        bool[] done = new bool[2];

        void Saver(int who, FakeNetwork net)
        {
            start.SignalAndWait();
            try
            {
                for (int i = 0; i < rounds; i++) SafeTensors.Save(net, path);
            }
            catch (Exception e) { errors.Enqueue(e); }
            finally { Volatile.Write(ref done[who], true); }
        }

        int reads = 0;
        void Reader()
        {
            start.SignalAndWait();
            using var readerDevice = new CpuDevice(threads: 1);
            using var target = FakeNetwork.Small(readerDevice);
            try
            {
                while (!Volatile.Read(ref done[0]) || !Volatile.Read(ref done[1]))
                {
                    SafeTensors.Load(target, path);
                    var got = target.Snapshot();
                    if (!versions.Any(v => v.All(kv => kv.Value.SequenceEqual(got[kv.Key]))))
                        throw new Xunit.Sdk.XunitException("A load saw a mix of two saves.");
                    reads++;
                }
            }
            catch (Exception e) { errors.Enqueue(e); }
        }

        var threads = new[] { new Thread(() => Saver(0, a)), new Thread(() => Saver(1, b)), new Thread(Reader) };
        foreach (var t in threads) t.Start();
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(2)), "A saver or the reader hung.");

        Assert.True(errors.IsEmpty, string.Join(Environment.NewLine, errors.Select(e => e.ToString())));
        Assert.True(reads > 0);
        using var final = Net(99);
        SafeTensors.Load(final, path);
        var snapshot = final.Snapshot();
        Assert.Contains(versions, v => v.All(kv => kv.Value.SequenceEqual(snapshot[kv.Key])));
        Assert.Equal(["shared.safetensors"], Entries());
    }

    [Fact]
    public void A_writer_may_close_the_stream_it_was_given()
    {
        string path = Path.Combine(_dir, "packed.gz");
        AtomicFile.Write(path, stream =>
        {
            using var gz = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionLevel.Fastest);
            gz.Write([1, 2, 3]);
        });
        using var back = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
        var plain = new MemoryStream();
        back.CopyTo(plain);
        Assert.Equal([1, 2, 3], plain.ToArray());
        Assert.Equal(["packed.gz"], Entries());
    }

    [Fact]
    public void A_failure_mid_write_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_dir, "keep.bin");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        Assert.Equal("disk full", e.Message);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["keep.bin"], Entries());
    }

    [Fact]
    public void A_failed_weight_save_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_dir, "weights.safetensors");
        using var good = Net(1);
        SafeTensors.Save(good, path);
        var before = File.ReadAllBytes(path);
        using var reserved = new FakeNetwork(_device, [("__metadata__", [2])]);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(reserved, path));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["weights.safetensors"], Entries());
    }

    [Fact]
    public void A_replaced_file_keeps_its_permissions()
    {
        if (OperatingSystem.IsWindows()) return;
        string path = Path.Combine(_dir, "private.safetensors");
        File.WriteAllBytes(path, [0]);
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(path, mode);
        using var net = Net(1);
        SafeTensors.Save(net, path);
        Assert.Equal(mode, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Pictures_are_replaced_atomically_too()
    {
        string path = Path.Combine(_dir, "picture.png");
        File.CreateSymbolicLink(path + ".tmp", Path.Combine(_dir, "elsewhere"));
        Png.WriteGray(path, 2, 1, [0, 255]);
        Assert.Equal(0x89, File.ReadAllBytes(path)[0]);
        Assert.False(File.Exists(Path.Combine(_dir, "elsewhere")));
        Assert.Equal(["picture.png", "picture.png.tmp"], Entries());
    }
}
