using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace Strider.Data;

/// <summary>
/// Batches of images decoded from files as they are needed, for image sets larger than memory: a background worker
/// decodes, augments and normalises batches ahead of the consumer into at most <c>prefetch</c> ready buffers (plus the one
/// the consumer holds), so only that window of images is in memory at once. Epoch e's order is fixed by (seed, e) and
/// the example at position i is augmented with the generator fixed by (seed, e, i), so the batches do not depend on
/// thread timing. A file that cannot be decoded ends the epoch: <see cref="MoveNext"/> throws the worker's
/// <see cref="InvalidDataException"/>, which names the file. Dispose stops the worker.
/// </summary>
public sealed class ImageStream : IBatchSource, IDisposable
{
    private const int StateVersion = 2;
    private readonly IReadOnlyList<ImageFile> _files;
    private readonly ImageFolderOptions _options;
    private readonly ImageShape _shape;
    private readonly long _seed;
    private readonly bool _shuffle;
    private readonly Augmentation? _augmentation;
    private readonly int _prefetch;
    private readonly int _decodeThreads;
    private readonly Batch[] _buffers;
    private BlockingCollection<Batch>? _free;
    private BlockingCollection<Message>? _ready;
    private CancellationTokenSource? _cancel;
    private Task? _worker;
    private Batch? _current;
    private int _epoch;
    private int _batchesMade;
    private bool _disposed;

    /// <param name="files">The images and their labels, e.g. from <see cref="ImageFolder.List"/>.</param>
    /// <param name="options">How each file becomes an input (shape, resizing, normalisation); the split and skip options are not used.</param>
    /// <param name="batchSize">Examples per batch (capped at the file count).</param>
    /// <param name="seed">Fixes the order of every epoch and the augmentation.</param>
    /// <param name="augmentation">Applied to each image in [0, 1] before normalisation; null for none.</param>
    /// <param name="shuffle">Whether each epoch walks the files in a new seeded order.</param>
    /// <param name="prefetch">Ready batches the worker may hold ahead of the consumer (at least 1).</param>
    /// <param name="decodeThreads">Threads decoding one batch's files (default: the processor count).</param>
    public ImageStream(IReadOnlyList<ImageFile> files, ImageFolderOptions options, int batchSize, long seed,
        Augmentation? augmentation = null, bool shuffle = true, int prefetch = 2, int? decodeThreads = null)
    {
        _files = files ?? throw new ArgumentNullException(nameof(files));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        options.Check();
        if (files.Count == 0) throw new ArgumentException("There are no image files to stream.", nameof(files));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "A batch needs at least one example.");
        if (prefetch <= 0) throw new ArgumentOutOfRangeException(nameof(prefetch), prefetch, "Prefetch at least one batch.");
        if (decodeThreads is <= 0) throw new ArgumentOutOfRangeException(nameof(decodeThreads), decodeThreads, "Decode on at least one thread.");
        _shape = options.Shape;
        _seed = seed;
        _shuffle = shuffle;
        _augmentation = augmentation;
        _prefetch = prefetch;
        _decodeThreads = decodeThreads ?? Environment.ProcessorCount;
        BatchSize = Math.Min(batchSize, files.Count);
        _buffers = new Batch[prefetch + 1];
        for (int i = 0; i < _buffers.Length; i++) _buffers[i] = new Batch(BatchSize, _shape.Size);
    }

    /// <summary>A stream over the images of a class-per-folder tree (see <see cref="ImageFolder.List"/>); the class names come with it.</summary>
    public static (ImageStream Stream, IReadOnlyList<string> ClassNames) FromFolder(string root, ImageFolderOptions options, int batchSize, long seed,
        Augmentation? augmentation = null, bool shuffle = true, int prefetch = 2)
    {
        var (classNames, files) = ImageFolder.List(root);
        return (new ImageStream(files, options, batchSize, seed, augmentation, shuffle, prefetch), classNames);
    }

    public int Count => _files.Count;
    public int InputSize => _shape.Size;
    public int LabelsPerItem => 1;
    public int TargetSize => 0;
    public int BatchSize { get; }
    public int BatchesPerEpoch => (_files.Count + BatchSize - 1) / BatchSize;
    public int Size => _current?.Size ?? 0;

    /// <summary>The most batches decoded and held at once: the prefetched ones and the consumer's.</summary>
    public int Window => _buffers.Length;

    /// <summary>Epochs started so far.</summary>
    public int Epoch => _epoch;

    /// <summary>Batches the worker has finished this epoch (for tests of the window).</summary>
    internal int BatchesMade => Volatile.Read(ref _batchesMade);

    /// <summary>The current epoch's worker, if one runs (for tests of disposal).</summary>
    internal Task? Worker => _worker;

    public ReadOnlySpan<float> Inputs => _current is null ? default : _current.Inputs.AsSpan(0, _current.Size * _shape.Size);
    public ReadOnlySpan<int> Labels => _current is null ? default : _current.Labels.AsSpan(0, _current.Size);
    public ReadOnlySpan<float> Targets => default;

    public void StartEpoch()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StopWorker();
        int epoch = _epoch++;
        int[] order = _shuffle ? EpochOrder.For(_seed, epoch, _files.Count) : EpochOrder.Identity(_files.Count);
        _free = new BlockingCollection<Batch>(new ConcurrentQueue<Batch>(_buffers));
        _ready = new BlockingCollection<Message>(new ConcurrentQueue<Message>(), _prefetch);
        _cancel = new CancellationTokenSource();
        _batchesMade = 0;
        var (free, ready, token) = (_free, _ready, _cancel.Token);
        _worker = Task.Factory.StartNew(() => Produce(epoch, order, free, ready, token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ready is null) return false;
        if (_current is not null)
        {
            _free!.Add(_current);
            _current = null;
        }
        var message = _ready.Take();
        if (message.Batch is not null)
        {
            _current = message.Batch;
            return true;
        }
        StopWorker();
        message.Error?.Throw();
        return false;
    }

    /// <summary>The epochs started so far; the orders and augmentations are derived from the seed.</summary>
    public byte[] CaptureState() => EpochOrder.CaptureEpoch(StateVersion, _seed, _files.Count, _epoch);

    public void RestoreState(byte[] state)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int epoch = EpochOrder.RestoreEpoch(state, StateVersion, _seed, _files.Count, nameof(ImageStream));
        StopWorker();
        _epoch = epoch;
    }

    public void Dispose()
    {
        if (_disposed) return;
        StopWorker();
        _disposed = true;
    }

    /// <summary>The worker: fills free buffers batch by batch, hands them over in order, then an end (or error) message.</summary>
    private void Produce(int epoch, int[] order, BlockingCollection<Batch> free, BlockingCollection<Message> ready, CancellationToken token)
    {
        try
        {
            for (int first = 0; first < order.Length; first += BatchSize)
            {
                var batch = free.Take(token);
                batch.Size = Math.Min(BatchSize, order.Length - first);
                Fill(batch, epoch, order, first, token);
                Interlocked.Increment(ref _batchesMade);
                ready.Add(new Message(batch, null), token);
            }
            ready.Add(new Message(null, null), token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped by StartEpoch, RestoreState or Dispose: nobody waits for the rest.
        }
        catch (Exception e)
        {
            // The consumer rethrows this from MoveNext; if it stops the epoch instead, the cancellation ends the wait.
            try
            {
                ready.Add(new Message(null, ExceptionDispatchInfo.Capture(e)), token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Decodes one batch: this (the worker) thread and up to decodeThreads - 1 thread-pool helpers claim its files by
    /// index. The worker never waits for a helper that has not started (as Parallel.For from a non-pool thread does), so
    /// a thread pool busy with other work slows a batch down but cannot stall it.
    /// </summary>
    private void Fill(Batch batch, int epoch, int[] order, int first, CancellationToken token)
    {
        var decoding = new BatchDecoding(this, batch, epoch, order, first, token);
        int helpers = Math.Min(_decodeThreads, batch.Size) - 1;
        for (int h = 0; h < helpers; h++)
            ThreadPool.UnsafeQueueUserWorkItem(static d => d.DecodeClaimed(), decoding, preferLocal: false);
        decoding.DecodeClaimed();
        decoding.WaitForClaimed();
        token.ThrowIfCancellationRequested();
        // The first failing file in batch order, whichever thread met it first.
        foreach (var error in decoding.Errors)
            if (error is not null) ExceptionDispatchInfo.Throw(error);
    }

    /// <summary>One batch's files, claimed one at a time by whichever threads decode them.</summary>
    private sealed class BatchDecoding(ImageStream stream, Batch batch, int epoch, int[] order, int first, CancellationToken token)
    {
        public readonly Exception?[] Errors = new Exception?[batch.Size];
        private readonly object _gate = new();
        // Fixed at the start: the buffer's Size changes when it is reused, and a late helper must still find nothing to claim.
        private readonly int _count = batch.Size;
        private int _lastClaimed = -1;
        private int _unfinished = batch.Size;

        /// <summary>Claims and decodes files until none is left; a helper that starts after the batch is done claims none and touches nothing.</summary>
        public void DecodeClaimed()
        {
            int k;
            while ((k = Interlocked.Increment(ref _lastClaimed)) < _count)
            {
                Decode(k);
                lock (_gate)
                    if (--_unfinished == 0) Monitor.PulseAll(_gate);
            }
        }

        /// <summary>Waits for the files other threads claimed: each is being decoded on a running thread, so this is short.</summary>
        public void WaitForClaimed()
        {
            lock (_gate)
                while (_unfinished > 0) Monitor.Wait(_gate);
        }

        /// <summary>Decodes file k into its place; never throws, since a helper runs on a pool thread (a cancelled batch skips its files).</summary>
        private void Decode(int k)
        {
            try
            {
                if (token.IsCancellationRequested) return;
                int size = stream._shape.Size;
                var file = stream._files[order[first + k]];
                var image = batch.Inputs.AsSpan(k * size, size);
                ImageDecoder.Decode(file.Path, stream._shape, stream._options.ResizeTarget, stream._options.PadValue, image);
                stream._augmentation?.Apply(image, stream._shape, stream._seed, epoch, first + k);
                stream._options.Normalise(image);
                batch.Labels[k] = file.Label;
            }
            catch (Exception e)
            {
                Errors[k] = e;
            }
        }
    }

    private void StopWorker()
    {
        if (_worker is null) return;
        _cancel!.Cancel();
        try
        {
            _worker.Wait();
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException)
        {
            // Cancelled before it started.
        }
        _cancel.Dispose();
        _free!.Dispose();
        _ready!.Dispose();
        _worker = null;
        _cancel = null;
        _free = null;
        _ready = null;
        _current = null;
    }

    private sealed class Batch(int batchSize, int inputSize)
    {
        public readonly float[] Inputs = new float[(long)batchSize * inputSize];
        public readonly int[] Labels = new int[batchSize];
        public int Size;
    }

    /// <summary>A ready batch, or the end of the epoch (both null), or the worker's error.</summary>
    private readonly record struct Message(Batch? Batch, ExceptionDispatchInfo? Error);
}
