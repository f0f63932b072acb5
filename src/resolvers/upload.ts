import type { FileUpload } from 'graphql-upload-minimal';
import { fileTooLarge, isUploadLimitError } from '../conversion/file-store';
import type { IncomingFile } from '../conversion/conversion-service';

/**
 * The uploaded file as the services take it. graphql-upload reports a file over the size limit
 * by throwing from createReadStream (or from the stream), which would otherwise surface as an
 * internal error; here it becomes FILE_TOO_LARGE.
 */
export async function receiveUpload(file: Promise<FileUpload>, maxBytes: number): Promise<IncomingFile> {
  try {
    const upload = await file;
    const stream = upload.createReadStream();
    // When the file reaches the limit while being read, graphql-upload-minimal only unpipes the
    // stream: whoever reads it would wait for an end that never comes (the request hung).
    stream.once('limit', () => stream.destroy(fileTooLarge(maxBytes)));
    return { fileName: upload.filename, stream };
  } catch (err) {
    throw isUploadLimitError(err) ? fileTooLarge(maxBytes) : err;
  }
}
