using System.Buffers;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Wharf.Registry.Storage.S3;

/// <summary>
/// Objects in an S3 bucket under <c>rootdirectory</c>, with distribution's keys
/// (<c>&lt;rootdirectory&gt;/docker/registry/v2/...</c>), so a bucket written by registry:2 is read as it is.
/// A put is one PutObject, or a multipart upload completed only after the last byte was read (aborted otherwise):
/// S3 shows the object whole or not at all. Uses no server-side copy, and needs no ListMultipartUploads: each
/// multipart upload is recorded in the bucket while it runs (see <see cref="Objects.PendingWrites"/>).
/// </summary>
public sealed class S3BlobStorage : IBlobStorage, IDisposable
{
    private readonly IAmazonS3 _client;
    private readonly S3StorageOptions _options;
    private readonly string _bucket;
    private readonly string _root;

    public S3BlobStorage(S3StorageOptions options)
    {
        _options = options;
        _bucket = options.Bucket!;
        _root = options.RootDirectory.Trim('/') is { Length: > 0 } root ? root + "/" : "";
        _client = CreateClient(options);
    }

    public string Name => "s3";

    internal static AmazonS3Client CreateClient(S3StorageOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // S3-compatible servers store aws-chunked framing and trailing checksums as data: send plain bodies, and
            // only the checksums an operation requires (DeleteObjects).
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            // A blob stream may pause while a client is slow; the SDK's default 100 s timeout is per request.
            Timeout = TimeSpan.FromMinutes(15),
        };
        if (options.RegionEndpoint is { Length: > 0 } endpoint)
        {
            config.ServiceURL = endpoint.Contains("://") ? endpoint : (options.Secure ? "https://" : "http://") + endpoint;
            config.AuthenticationRegion = options.Region;
            config.UseHttp = !options.Secure;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
            config.UseHttp = !options.Secure;
        }
        return options.AccessKey is { Length: > 0 }
            ? new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config)
            : new AmazonS3Client(config);
    }

    private string ObjectKey(string key) => _root + key;

    private string StorageKey(string objectKey) => objectKey[_root.Length..];

    public async Task<StorageObject?> StatAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var meta = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = ObjectKey(key) }, cancellationToken);
            return new StorageObject(key, meta.ContentLength, meta.LastModified ?? DateTime.UtcNow);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<StorageRead?> ReadAsync(string key, long offset, long? length, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length == 0 || offset > 0 || length is not null)
        {
            // A ranged GET needs the size to answer reads at or past the end (S3 answers 416 there).
            var stat = await StatAsync(key, cancellationToken);
            if (stat is null) return null;
            var start = Math.Min(offset, stat.Size);
            var count = Math.Min(length ?? long.MaxValue, stat.Size - start);
            if (count == 0) return new StorageRead(Stream.Null, stat.Size, start, 0);
            var ranged = await GetAsync(key, new ByteRange(start, start + count - 1), cancellationToken);
            return ranged is null ? null : new StorageRead(new ResponseStream(ranged), stat.Size, start, count);
        }
        var whole = await GetAsync(key, null, cancellationToken);
        return whole is null ? null : new StorageRead(new ResponseStream(whole), whole.ContentLength, 0, whole.ContentLength);
    }

    private async Task<GetObjectResponse?> GetAsync(string key, ByteRange? range, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = ObjectKey(key), ByteRange = range }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<long> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var chunk = (int)_options.ChunkSize;
        var buffer = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            var filled = await StreamFill.FillAsync(content, buffer, chunk, cancellationToken);
            if (filled < chunk)
            {
                // Fits in one part: one PutObject (the stream has ended, so it was read whole and without error).
                var put = new PutObjectRequest
                {
                    BucketName = _bucket, Key = ObjectKey(key), InputStream = new MemoryStream(buffer, 0, filled, writable: false),
                    UseChunkEncoding = false, AutoCloseStream = false,
                };
                ApplyWriteOptions(put);
                await _client.PutObjectAsync(put, cancellationToken);
                return filled;
            }
            return await MultipartPutAsync(key, content, buffer, filled, chunk, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<long> MultipartPutAsync(string key, Stream content, byte[] buffer, int filled, int chunk, CancellationToken cancellationToken)
    {
        var start = new InitiateMultipartUploadRequest { BucketName = _bucket, Key = ObjectKey(key) };
        if (_options.Encrypt)
        {
            start.ServerSideEncryptionMethod = _options.KeyId is { Length: > 0 } ? ServerSideEncryptionMethod.AWSKMS : ServerSideEncryptionMethod.AES256;
            if (_options.KeyId is { Length: > 0 } keyId) start.ServerSideEncryptionKeyManagementServiceKeyId = keyId;
        }
        if (_options.StorageClass != "NONE") start.StorageClass = S3StorageClass.FindValue(_options.StorageClass);
        // Recorded before it starts and again with its id, so that a crash at any point leaves the upload findable
        // by upload purging (see PendingWrites); the record goes once the upload is completed or aborted.
        var writeId = Guid.NewGuid();
        var record = await Objects.PendingWrites.RecordAsync(this, writeId, new Objects.PendingWrite(key, null), cancellationToken);
        // A crash between these two leaves the record without the id: the purge then asks ListMultipartUploads.
        string uploadId;
        try
        {
            uploadId = (await _client.InitiateMultipartUploadAsync(start, cancellationToken)).UploadId;
        }
        catch
        {
            await Objects.PendingWrites.ForgetAsync(this, record);
            throw;
        }
        var parts = new List<PartETag>();
        long total = 0;
        try
        {
            await Objects.PendingWrites.RecordAsync(this, writeId, new Objects.PendingWrite(key, uploadId), cancellationToken);
            while (filled > 0)
            {
                var number = parts.Count + 1;
                var response = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _bucket, Key = ObjectKey(key), UploadId = uploadId, PartNumber = number,
                    InputStream = new MemoryStream(buffer, 0, filled, writable: false), PartSize = filled, UseChunkEncoding = false,
                }, cancellationToken);
                parts.Add(new PartETag(number, response.ETag));
                total += filled;
                if (filled < chunk) break;
                filled = await StreamFill.FillAsync(content, buffer, chunk, cancellationToken);
            }
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket, Key = ObjectKey(key), UploadId = uploadId, PartETags = parts,
            }, cancellationToken);
            await Objects.PendingWrites.ForgetAsync(this, record);
            return total;
        }
        catch
        {
            // Nothing was published; leave no parts behind either (after a crash, upload purging aborts the upload).
            try
            {
                // A server without AbortMultipartUpload leaves the parts to the bucket's lifecycle rule either way.
                await AbortAsync(key, uploadId);
                await Objects.PendingWrites.ForgetAsync(this, record);
            }
            catch (AmazonServiceException)
            {
                // The record stays: upload purging tries again.
            }
            throw;
        }
    }

    /// <returns>False when the server does not implement AbortMultipartUpload (s3rver, some gateways).</returns>
    private async Task<bool> AbortAsync(string key, string uploadId)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = ObjectKey(key), UploadId = uploadId }, CancellationToken.None);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return true; // completed or aborted already
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            return false;
        }
    }

    public async Task PurgeInterruptedWritesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        var unabortable = new List<string>();
        await Objects.PendingWrites.PurgeAsync(this, startedBefore, async write =>
        {
            if (write.UploadId is not null)
            {
                if (!await AbortAsync(write.Key, write.UploadId)) unabortable.Add($"{write.Key} (upload {write.UploadId})");
                return;
            }
            // Interrupted between initiation and its record: only a listing of the key's uploads can find it.
            try
            {
                var uploads = await _client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = _bucket, Prefix = ObjectKey(write.Key) }, cancellationToken);
                foreach (var upload in uploads.MultipartUploads ?? [])
                    if (upload.Key == ObjectKey(write.Key) && upload.Initiated < startedBefore.UtcDateTime) await AbortAsync(write.Key, upload.UploadId);
            }
            catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
            {
                unabortable.Add($"{write.Key} (upload id not recorded)");
            }
        }, cancellationToken);
        // Said once per upload (its record is gone): retrying cannot help on a server that lacks the call.
        if (unabortable.Count > 0)
            throw new IOException($"the S3 server does not implement AbortMultipartUpload: the parts of {unabortable.Count} interrupted uploads stay " +
                $"until the bucket's lifecycle rule removes them: {string.Join(", ", unabortable.Take(10))}");
    }

    private void ApplyWriteOptions(PutObjectRequest put)
    {
        if (_options.Encrypt)
        {
            put.ServerSideEncryptionMethod = _options.KeyId is { Length: > 0 } ? ServerSideEncryptionMethod.AWSKMS : ServerSideEncryptionMethod.AES256;
            if (_options.KeyId is { Length: > 0 } keyId) put.ServerSideEncryptionKeyManagementServiceKeyId = keyId;
        }
        if (_options.StorageClass != "NONE") put.StorageClass = S3StorageClass.FindValue(_options.StorageClass);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = ObjectKey(key) }, cancellationToken);

    public async Task DeleteManyAsync(IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        var failed = new List<string>();
        // DeleteObjects takes at most 1000 keys per request.
        foreach (var batch in keys.Chunk(1000))
        {
            var response = await _client.DeleteObjectsAsync(new DeleteObjectsRequest
            {
                BucketName = _bucket,
                Objects = batch.Select(k => new KeyVersion { Key = ObjectKey(k) }).ToList(),
                Quiet = true,
            }, cancellationToken);
            foreach (var error in response.DeleteErrors ?? []) failed.Add($"{StorageKey(error.Key)} ({error.Code})");
        }
        if (failed.Count > 0) throw new IOException($"could not delete {failed.Count} objects: {string.Join(", ", failed.Take(10))}");
    }

    public async Task<StoragePage> ListAsync(string prefix, string? continuationToken, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        // The continuation is the last key returned, sent as StartAfter: every S3-compatible server implements it
        // (the local test server fails on its own continuation tokens), and it stays valid however long a listing runs.
        var response = await _client.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = _bucket, Prefix = ObjectKey(prefix), StartAfter = continuationToken is null ? null : ObjectKey(continuationToken),
            MaxKeys = Math.Min(pageSize, 1000),
        }, cancellationToken);
        var objects = (response.S3Objects ?? [])
            .Select(o => new StorageObject(StorageKey(o.Key), o.Size ?? 0, o.LastModified ?? DateTime.UtcNow))
            .ToList();
        return new StoragePage(objects, response.IsTruncated == true && objects.Count > 0 ? objects[^1].Key : null);
    }

    public async Task<Uri?> GetSignedReadUrlAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var url = await _client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _bucket, Key = ObjectKey(key), Verb = HttpVerb.GET, Expires = DateTime.UtcNow.Add(lifetime),
            Protocol = _options.Secure ? Protocol.HTTPS : Protocol.HTTP,
        });
        return new Uri(url);
    }

    public Task<IStorageUpload> StartUploadAsync(Guid uploadId, CancellationToken cancellationToken) =>
        Task.FromResult(Objects.PartsUpload.Start(this, uploadId));

    public Task<IStorageUpload> ResumeUploadAsync(string state, CancellationToken cancellationToken) =>
        Objects.PartsUpload.ResumeAsync(this, state, cancellationToken);

    public Task ProbeAsync(CancellationToken cancellationToken) => StorageProbe.WriteAndDeleteAsync(this, cancellationToken);

    public void Dispose() => _client.Dispose();

    /// <summary>A GET's body that disposes the response (and so its connection) with the stream.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : ForwardOnlyReadStream
    {
        private readonly Stream _inner = response.ResponseStream;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Length => response.ContentLength;

        protected override void Dispose(bool disposing)
        {
            if (disposing) response.Dispose();
            base.Dispose(disposing);
        }
    }
}
