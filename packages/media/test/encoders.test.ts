import { describe, expect, it } from 'vitest';
import {
  computeLadder,
  encoderArgs,
  encoderInputFilter,
  keyFrameExpr,
  scaleFilters,
  VIDEO_ENCODERS,
} from '../src/index';

const rung = computeLadder({ displayWidth: 1280, displayHeight: 720 })[0]!;

/** The value following `flag` in an argument list. */
const flagValue = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe('encoderArgs', () => {
  it.each(VIDEO_ENCODERS)('gives %s the rung rates and a fixed GOP of one segment', (encoder) => {
    const args = encoderArgs(encoder, rung, 'v:1', 100);
    expect(flagValue(args, '-c:v:1')).toBe(encoder);
    expect(flagValue(args, '-b:v:1')).toBe('2800000');
    expect(flagValue(args, '-maxrate:v:1')).toBe('4200000');
    expect(flagValue(args, '-bufsize:v:1')).toBe('5600000');
    expect(flagValue(args, '-g:v:1')).toBe('100');
    expect(flagValue(args, '-profile:v:1')).toBe('high');
  });

  it('turns off scene-cut key frames so that only the forced ones cut segments', () => {
    expect(flagValue(encoderArgs('libx264', rung, 'v:0', 120), '-sc_threshold:v:0')).toBe('0');
    expect(flagValue(encoderArgs('libx264', rung, 'v:0', 120), '-keyint_min:v:0')).toBe('120');
    expect(flagValue(encoderArgs('h264_nvenc', rung, 'v:0', 120), '-no-scenecut:v:0')).toBe('1');
    expect(flagValue(encoderArgs('h264_nvenc', rung, 'v:0', 120), '-forced-idr:v:0')).toBe('1');
    expect(flagValue(encoderArgs('h264_qsv', rung, 'v:0', 120), '-forced_idr:v:0')).toBe('1');
  });

  it('forces a key frame on every multiple of the segment length', () => {
    expect(keyFrameExpr(4)).toBe('expr:gte(t,n_forced*4)');
  });
});

describe('scaleFilters', () => {
  it('ends each chain in the pixel format the encoder takes, uploading frames for VAAPI', () => {
    expect(scaleFilters('libx264', 1280, 720)).toBe('scale=1280:720,setsar=1,format=yuv420p');
    expect(scaleFilters('h264_nvenc', 1280, 720)).toBe('scale=1280:720,setsar=1,format=yuv420p');
    expect(scaleFilters('h264_qsv', 1280, 720)).toBe('scale=1280:720,setsar=1,format=nv12');
    expect(scaleFilters('h264_vaapi', 1280, 720)).toBe('scale=1280:720,setsar=1,format=nv12,hwupload');
    expect(encoderInputFilter('h264_vaapi')).toBe('format=nv12,hwupload');
  });
});
