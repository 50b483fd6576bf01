import { crc32 } from 'node:zlib';
import { CreateRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { CreateFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { MOTO_ACCOUNT_ID, MOTO_REGION } from './moto/index.js';

/** The ARN of a function in moto's account and region. */
export const functionArn = (name: string) =>
  `arn:aws:lambda:${MOTO_REGION}:${MOTO_ACCOUNT_ID}:function:${name}`;

const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** A role only Lambda may assume, as a function's first execution role before Keyless points it elsewhere. */
export async function createLambdaRole(iam: IAMClient, name: string): Promise<string> {
  const created = await iam.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST }),
  );
  const arn = created.Role?.Arn;
  if (!arn) throw new Error(`CreateRole ${name} returned no ARN`);
  return arn;
}

/** A Python function running as `role`; moto stores it without Docker (nothing here invokes it). */
export async function createLambdaFunction(lambda: LambdaClient, name: string, role: string): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'python3.12',
      Handler: 'index.handler',
      Role: role,
      Code: { ZipFile: zipOf('index.py', 'def handler(event, context):\n    return 1\n') },
    }),
  );
}

/** A zip archive holding one stored (uncompressed) file: all a function's code needs to be on moto. */
function zipOf(name: string, text: string): Uint8Array {
  const data = Buffer.from(text);
  const file = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(file.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(file.length, 28);
  const centralStart = local.length + file.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + file.length, 12);
  end.writeUInt32LE(centralStart, 16);
  return Buffer.concat([local, file, data, central, file, end]);
}
